namespace AomoriReform.Workflows.Organisation;

/// <summary>What a user may do. One role per user; the names are part of the API contract.</summary>
public enum Role
{
    /// <summary>担当: drafts and submits the section's progress reports.</summary>
    Staff,
    /// <summary>課長: approves the section's reports.</summary>
    SectionChief,
    /// <summary>部長: approves on routes with a department-head step.</summary>
    DepartmentHead,
    /// <summary>推進本部事務局: the reform HQ secretariat, reviews and accepts reports.</summary>
    HqReviewer,
    /// <summary>HQ administrator: imports, check-ins, operations.</summary>
    HqAdmin,
    /// <summary>推進委員会: the outside-expert committee; read only.</summary>
    Committee,
    /// <summary>Auditor: read only, verifies the journal.</summary>
    Auditor,
}

public static class Roles
{
    public static readonly IReadOnlyList<string> All = Enum.GetNames<Role>();

    /// <summary>Roles that belong to a section of a department.</summary>
    public static bool NeedsSection(Role role) => role is Role.Staff or Role.SectionChief;

    /// <summary>Roles that belong to a department but not to one of its sections.</summary>
    public static bool NeedsDepartment(Role role) => role is Role.DepartmentHead;

    public static bool TryParse(string? text, out Role role) =>
        Enum.TryParse(text?.Trim(), ignoreCase: false, out role) && Enum.IsDefined(role);
}
