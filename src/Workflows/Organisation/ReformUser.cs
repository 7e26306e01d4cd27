using Microsoft.AspNetCore.Identity;

namespace AomoriReform.Workflows.Organisation;

/// <summary>
/// A person who signs in. The role and section come from the organisation file and change
/// with each personnel transfer; work is assigned to roles within scopes, never to a person.
/// </summary>
public sealed class ReformUser : IdentityUser
{
    /// <summary>Every account locks after repeated wrong passwords, however it was created (imports add rows directly).</summary>
    public ReformUser() => LockoutEnabled = true;

    public string DisplayName { get; set; } = string.Empty;
    public Role Role { get; set; }
    public string? SectionCode { get; set; }
    public Section? Section { get; set; }
    public string? DepartmentCode { get; set; }
    public Department? Department { get; set; }

    /// <summary>False once a re-import of the organisation no longer lists the user; they cannot sign in.</summary>
    public bool IsActive { get; set; } = true;

    /// <summary>Generated demo account (embedded default and Development only); organisation imports leave it alone.</summary>
    public bool IsDemo { get; set; }
}
