using System.Linq.Expressions;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// Which reports a caller may see. A report the caller may not see does not exist for them
/// (404, not 403), so ids reveal nothing. The owning section sees its reports, the department
/// head the department's, HQ and the read-only roles all of them, and a section asked to concur
/// (合議) keeps seeing the report it was consulted on, before and after it decided.
/// </summary>
public static class Visibility
{
    public static bool SeesEverything(Caller caller) => caller.Role is Role.HqReviewer or Role.HqAdmin or Role.Committee or Role.Auditor;

    public static bool CanSee(Caller caller, ProgressReport report, IEnumerable<WorkTask> openTasks) =>
        caller.Identities.Any(identity =>
            SeesEverything(identity)
            || (identity.Role is Role.Staff or Role.SectionChief && identity.SectionCode == report.SectionCode)
            || (identity.Role == Role.DepartmentHead && identity.DepartmentCode == report.DepartmentCode)
            || (identity.Role is Role.Staff or Role.SectionChief && identity.SectionCode is { } section && report.ConsultedSections.Contains($" {section} ", StringComparison.Ordinal))
            || (identity.Role == Role.SectionChief && openTasks.Any(t => t.Kind == WorkTaskKind.Action && t.AssigneeSectionCode == identity.SectionCode)));

    /// <summary>The same rule as a query over reports, for lists.</summary>
    public static IQueryable<ProgressReport> Filter(IQueryable<ProgressReport> reports, Caller caller)
    {
        if (caller.Identities.Any(SeesEverything))
        {
            return reports;
        }

        var sections = caller.Identities.Where(i => i.Role is Role.Staff or Role.SectionChief && i.SectionCode is not null).Select(i => i.SectionCode!).Distinct().ToList();
        var departments = caller.Identities.Where(i => i.Role == Role.DepartmentHead && i.DepartmentCode is not null).Select(i => i.DepartmentCode!).Distinct().ToList();
        Expression<Func<ProgressReport, bool>> owned = r => sections.Contains(r.SectionCode) || departments.Contains(r.DepartmentCode);
        var report = owned.Parameters[0];
        var body = owned.Body;
        foreach (var section in sections)
        {
            var pattern = $" {section} ";
            Expression<Func<ProgressReport, bool>> consulted = r => r.ConsultedSections.Contains(pattern);
            body = Expression.OrElse(body, new Rebind(consulted.Parameters[0], report).Visit(consulted.Body));
        }

        return reports.Where(Expression.Lambda<Func<ProgressReport, bool>>(body, report));
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}
