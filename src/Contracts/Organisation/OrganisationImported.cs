namespace AomoriReform.Contracts.Organisation;

/// <summary>
/// The organisation file (departments, sections, users) was imported, typically for the
/// personnel transfer (人事異動) on 1 April.
/// </summary>
public sealed record OrganisationImported
{
    public required int DepartmentsChanged { get; init; }
    public required int SectionsChanged { get; init; }
    public required int UsersAdded { get; init; }
    public required int UsersChanged { get; init; }
    public required int UsersDeactivated { get; init; }
    public required string Actor { get; init; }
    public required DateTime At { get; init; }
}
