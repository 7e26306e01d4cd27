using System.Globalization;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>One submitted version of a report's content.</summary>
public sealed record SubmissionView(int Round, int Version, DateTime SubmittedAt, string SubmittedBy);

/// <summary>One field that differs between two submissions: its name in the API's terms, before and after.</summary>
public sealed record FieldChange(string Field, string? Before, string? After);

/// <summary>
/// What changed between two submissions: by default, the latest one against the one that was
/// returned (差戻し) before it, so an approver sees exactly what the drafter changed.
/// </summary>
public sealed record ReportChangesView(SubmissionView? From, SubmissionView? To, IReadOnlyList<FieldChange> Fields);

/// <summary>Every submitted version of a report is kept; this compares them field by field.</summary>
public sealed class ReportChanges(ReformDbContext db, ReportWorkflow workflow)
{
    public async Task<Outcome<IReadOnlyList<SubmissionView>>> SubmissionsAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(id, caller, tracking: false, cancellationToken) is null)
        {
            return Outcome.NotFound("No such report.");
        }

        return Outcome.Ok<IReadOnlyList<SubmissionView>>(await db.ReportSubmissions.AsNoTracking().Where(s => s.ReportId == id).OrderBy(s => s.Round)
            .Select(s => new SubmissionView(s.Round, s.Version, s.SubmittedAt, s.SubmittedBy)).ToListAsync(cancellationToken));
    }

    /// <summary>
    /// The differences between two rounds (default: the latest submission against the returned one
    /// before it). With a single submission, or none returned, there is nothing to compare.
    /// </summary>
    public async Task<Outcome<ReportChangesView>> CompareAsync(Guid id, Caller caller, int? fromRound, int? toRound, CancellationToken cancellationToken)
    {
        return await workflow.LoadAsync(id, caller, tracking: false, cancellationToken) is { } found
            ? await CompareAsync(found.Report, fromRound, toRound, cancellationToken)
            : Outcome.NotFound("No such report.");
    }

    /// <summary>The same for a report the caller has loaded (and may see).</summary>
    internal async Task<Outcome<ReportChangesView>> CompareAsync(ProgressReport report, int? fromRound, int? toRound, CancellationToken cancellationToken)
    {
        var submissions = await db.ReportSubmissions.AsNoTracking().Where(s => s.ReportId == report.Id).OrderBy(s => s.Round).ToListAsync(cancellationToken);
        var to = toRound is { } t ? submissions.FirstOrDefault(s => s.Round == t) : submissions.LastOrDefault();
        if (toRound is not null && to is null)
        {
            return Outcome.Invalid("to", $"no submission round {toRound}; rounds 1-{submissions.Count}");
        }

        var returned = report.ReturnedRound;
        var from = fromRound is { } f ? submissions.FirstOrDefault(s => s.Round == f)
            : to is null ? null : submissions.LastOrDefault(s => s.Round < to.Round && (returned is null || s.Round <= returned));
        if (fromRound is not null && from is null)
        {
            return Outcome.Invalid("from", $"no submission round {fromRound}; rounds 1-{submissions.Count}");
        }

        if (from is null || to is null)
        {
            return Outcome.Ok(new ReportChangesView(View(from), View(to), []));
        }

        return Outcome.Ok(new ReportChangesView(View(from), View(to), Diff(from.Content, to.Content)));
    }

    /// <summary>Field-by-field differences: progress, achievements, next steps and each indicator's actual.</summary>
    public static IReadOnlyList<FieldChange> Diff(ReportContent before, ReportContent after)
    {
        var changes = new List<FieldChange>();
        void Compare(string field, string? a, string? b)
        {
            if (!string.Equals(a, b, StringComparison.Ordinal))
            {
                changes.Add(new FieldChange(field, a, b));
            }
        }

        Compare("progress", before.Progress?.ToString(), after.Progress?.ToString());
        Compare("achievements", before.Achievements, after.Achievements);
        Compare("nextSteps", before.NextSteps, after.NextSteps);
        var was = before.Indicators.ToDictionary(i => i.Code, i => i.Actual, StringComparer.Ordinal);
        var now = after.Indicators.ToDictionary(i => i.Code, i => i.Actual, StringComparer.Ordinal);
        foreach (var code in was.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
        {
            Compare($"indicators.{code}", Number(was.GetValueOrDefault(code)), Number(now.GetValueOrDefault(code)));
        }

        return changes;
    }

    private static string? Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static SubmissionView? View(ReportSubmission? s) => s is null ? null : new(s.Round, s.Version, s.SubmittedAt, s.SubmittedBy);
}
