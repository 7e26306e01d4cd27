using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// Which reports a caller may see. A report the caller may not see does not exist for them
/// (404, not 403), so ids reveal nothing.
/// </summary>
public static class Visibility
{
    public static bool SeesEverything(Caller caller) => caller.Role is Role.HqReviewer or Role.HqAdmin or Role.Committee or Role.Auditor;

    public static bool CanSee(Caller caller, ProgressReport report, IEnumerable<WorkTask> openTasks) =>
        caller.Identities.Any(identity =>
            SeesEverything(identity)
            || (identity.Role is Role.Staff or Role.SectionChief && identity.SectionCode == report.SectionCode)
            || (identity.Role == Role.DepartmentHead && identity.DepartmentCode == report.DepartmentCode)
            || (identity.Role == Role.SectionChief && openTasks.Any(t => t.AssigneeSectionCode == identity.SectionCode)));

    /// <summary>The same rule as a query over reports, for lists.</summary>
    public static IQueryable<ProgressReport> Filter(IQueryable<ProgressReport> reports, Caller caller)
    {
        if (caller.Identities.Any(SeesEverything))
        {
            return reports;
        }

        var sections = caller.Identities.Where(i => i.Role is Role.Staff or Role.SectionChief && i.SectionCode is not null).Select(i => i.SectionCode!).ToList();
        var departments = caller.Identities.Where(i => i.Role == Role.DepartmentHead && i.DepartmentCode is not null).Select(i => i.DepartmentCode!).ToList();
        return reports.Where(r => sections.Contains(r.SectionCode) || departments.Contains(r.DepartmentCode));
    }
}
