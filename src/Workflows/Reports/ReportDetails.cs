using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>A step of a report's route and where the report stands on it: done, current or pending.</summary>
public sealed record StepView(string Id, StepKind Kind, string Status, Organisation.Role Role, string State);

/// <summary>An indicator with its target for the report's fiscal year and the actual the section reported.</summary>
public sealed record IndicatorLine(string Code, string Title, string Unit, decimal? Target, decimal? Actual);

/// <summary>Everything a report's page shows, for one caller.</summary>
public sealed record ReportDetail(
    ReportView Report, string SectionName, string DepartmentName, string RouteTitle,
    IReadOnlyList<StepView> Steps, IReadOnlyList<IndicatorLine> Indicators, IReadOnlyList<HistoryEntry> History);

public sealed class ReportDetails(ReformDbContext db, ReportWorkflow workflow, ReportQueries queries, RouteCatalog routes)
{
    /// <summary>Not found when the caller may not see the report.</summary>
    public async Task<Outcome<ReportDetail>> GetAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var outcome = await workflow.GetAsync(id, caller, cancellationToken);
        var history = await queries.HistoryAsync(id, caller, cancellationToken);
        if ((outcome.Failure ?? history.Failure) is { } failure)
        {
            return failure;
        }

        var report = outcome.Value;

        var route = await routes.GetAsync(report.Route, report.RouteVersion, cancellationToken)
            ?? throw new InvalidOperationException($"Route {report.Route} v{report.RouteVersion} of report {id} is not published.");
        var place = await db.Sections.AsNoTracking().Where(s => s.Code == report.SectionCode)
            .Select(s => new { s.Name, Department = s.Department!.Name }).SingleAsync(cancellationToken);
        var indicators = await db.Measures.AsNoTracking().Where(m => m.Code == report.MeasureCode).Select(m => m.Indicators).SingleAsync(cancellationToken);
        var actuals = report.Content.Indicators.ToDictionary(i => i.Code, i => i.Actual, StringComparer.Ordinal);
        return Outcome.Ok(new ReportDetail(
            report, place.Name, place.Department, route.Title, Steps(route, report.Status),
            indicators.Select(i => new IndicatorLine(i.Code, i.Title, i.Unit, i.Targets.TryGetValue(report.FiscalYear, out var t) ? t : null, actuals.GetValueOrDefault(i.Code))).ToList(),
            history.Value));
    }

    /// <summary>The route's steps with their states for a report in <paramref name="status"/>.</summary>
    public static IReadOnlyList<StepView> Steps(RouteDefinition route, string status)
    {
        var current = status == RouteDefinition.AcceptedStatus ? route.Steps.Count
            : status == RouteDefinition.ReturnedStatus ? 0
            : Math.Max(0, route.Steps.ToList().FindIndex(s => s.Status == status));
        return route.Steps.Select((s, i) => new StepView(s.Id, s.Kind, s.Status, s.Assignee.Role, i < current ? "done" : i == current ? "current" : "pending")).ToList();
    }
}
