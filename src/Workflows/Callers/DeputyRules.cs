using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Workflows.Callers;

/// <summary>Who may deputise for whom: one rule, used when appointing and whenever the caller is resolved.</summary>
public static class DeputyRules
{
    /// <summary>
    /// Null when someone of <paramref name="deputyRole"/> in that section and department may act for a
    /// principal of <paramref name="principalRole"/> in theirs; otherwise why not. A section chief's
    /// deputy is Staff or a SectionChief of the same section, or a SectionChief of another section of the
    /// same department; a department head's is a SectionChief or DepartmentHead of the same department.
    /// Read-only and HQ roles never deputise.
    /// </summary>
    public static string? Ineligible(Role principalRole, string? principalSection, string? principalDepartment, Role deputyRole, string? deputySection, string? deputyDepartment)
    {
        if (deputyRole is not (Role.Staff or Role.SectionChief or Role.DepartmentHead))
        {
            return $"a {deputyRole} cannot be a deputy (only Staff, SectionChief or DepartmentHead of the principal's section or department)";
        }

        return principalRole switch
        {
            Role.SectionChief when principalSection is not null
                && ((deputyRole is Role.Staff or Role.SectionChief && deputySection == principalSection)
                    || (deputyRole == Role.SectionChief && principalDepartment is not null && deputyDepartment == principalDepartment)) => null,
            Role.SectionChief => "a section chief's deputy is Staff or a SectionChief of the same section, or a SectionChief of the same department",
            Role.DepartmentHead when principalDepartment is not null
                && deputyRole is Role.SectionChief or Role.DepartmentHead && deputyDepartment == principalDepartment => null,
            Role.DepartmentHead => "a department head's deputy is a SectionChief or DepartmentHead of the same department",
            _ => "only section chiefs and department heads appoint deputies",
        };
    }
}
