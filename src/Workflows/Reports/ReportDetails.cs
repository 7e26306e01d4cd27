using AomoriReform.Workflows.Callers;
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

/// <summary>
/// A report's page in one pass: the report is loaded (and its visibility checked) once and its journal
/// read once, and the panels (history, comments, deputies' decisions, changes since a return) are made
/// from them, where each panel's own service would load the report again.
/// </summary>
public sealed class ReportDetails(ReformDbContext db, ReportWorkflow workflow, ReportNotes notes, ReportChanges changes)
{
    /// <summary>Not found when the caller may not see the report.</summary>
    public async Task<Outcome<ReportDetail>> GetAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(id, caller, tracking: false, cancellationToken) is not { } found)
        {
            return Outcome.NotFound("No such report.");
        }

        var report = workflow.View(found.Report, found.Machine, found.Route, found.Title, found.PostReviews, caller);
        var journal = await db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync(cancellationToken);
        var sections = await db.Sections.AsNoTracking().Select(s => new { s.Code, s.Name, Department = s.Department!.Name }).ToDictionaryAsync(s => s.Code, cancellationToken);
        var place = sections[report.SectionCode];
        var indicators = await db.Measures.AsNoTracking().Where(m => m.Id == found.Report.MeasureId).Select(m => m.Indicators).SingleAsync(cancellationToken);
        var actuals = report.Content.Indicators.ToDictionary(i => i.Code, i => i.Actual, StringComparer.Ordinal);
        return Outcome.Ok(new ReportDetail(
            report, place.Name, place.Department, found.Route.Title, report.Steps,
            indicators.Select(i => new IndicatorLine(i.Code, i.Title, i.Unit, i.Targets.TryGetValue(report.FiscalYear, out var t) ? t : null, actuals.GetValueOrDefault(i.Code))).ToList(),
            journal.Select(ReportQueries.History).ToList())
        {
            SectionNames = sections.ToDictionary(s => s.Key, s => s.Value.Name),
            Comments = ReportNotes.Comments(journal),
            Changes = (await changes.CompareAsync(found.Report, null, null, cancellationToken)).ValueOrDefault,
            DeputyDecisions = await notes.DeputyDecisionsAsync(id, journal, cancellationToken),
        });
    }
}
