namespace AomoriReform.Contracts.Organisation;

/// <summary>
/// The organisation file (departments, sections, users) was imported, typically for the
/// personnel transfer (人事異動) on 1 April.
/// </summary>
public sealed record OrganisationImported
{
    /// <summary>departments added or changed</summary>
    public required int DepartmentsChanged { get; init; }
    /// <summary>sections added or changed</summary>
    public required int SectionsChanged { get; init; }
    /// <summary>people added</summary>
    public required int UsersAdded { get; init; }
    /// <summary>people whose name, role, section or department changed</summary>
    public required int UsersChanged { get; init; }
    /// <summary>people the file no longer lists, deactivated (never deleted)</summary>
    public required int UsersDeactivated { get; init; }
    public required string Actor { get; init; }
    public required DateTime At { get; init; }
}
