using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>An indicator with its target for the report's fiscal year and the actual the section reported.</summary>
public sealed record IndicatorLine(string Code, string Title, string Unit, decimal? Target, decimal? Actual);

/// <summary>Everything a report's page shows, for one caller.</summary>
public sealed record ReportDetail(
    ReportView Report, string SectionName, string DepartmentName, string RouteTitle,
    IReadOnlyList<StepView> Steps, IReadOnlyList<IndicatorLine> Indicators, IReadOnlyList<HistoryEntry> History)
{
    /// <summary>Section names by code, for the consulted sections and the history.</summary>
    public IReadOnlyDictionary<string, string> SectionNames { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<CommentView> Comments { get; init; } = [];

    /// <summary>What changed since the returned submission (empty when nothing was returned).</summary>
    public ReportChangesView? Changes { get; init; }

    public IReadOnlyList<DeputyDecisionView> DeputyDecisions { get; init; } = [];
}

public sealed class ReportDetails(ReformDbContext db, ReportWorkflow workflow, ReportQueries queries, RouteCatalog routes, ReportNotes notes, ReportChanges changes)
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
        var sectionNames = await db.Sections.AsNoTracking().ToDictionaryAsync(s => s.Code, s => s.Name, cancellationToken);
        return Outcome.Ok(new ReportDetail(
            report, place.Name, place.Department, route.Title, report.Steps,
            indicators.Select(i => new IndicatorLine(i.Code, i.Title, i.Unit, i.Targets.TryGetValue(report.FiscalYear, out var t) ? t : null, actuals.GetValueOrDefault(i.Code))).ToList(),
            history.Value)
        {
            SectionNames = sectionNames,
            Comments = (await notes.CommentsAsync(id, caller, cancellationToken)).ValueOrDefault ?? [],
            Changes = (await changes.CompareAsync(id, caller, null, null, cancellationToken)).ValueOrDefault,
            DeputyDecisions = await notes.DeputyDecisionsAsync(id, cancellationToken),
        });
    }
}
