using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>A formal correction (軽微な修正) appended to an accepted report: which entry of its journal, who, when, what.</summary>
public sealed record CorrectionView(int Id, DateTime At, string Author, string Text);

/// <summary>
/// Formal corrections after acceptance (軽微な修正). An accepted report is an official document
/// (公文書) and is never edited; headquarters (HqReviewer, HqAdmin) may append a note that says
/// what is to be read differently. The note is an entry of the report's signed journal (action
/// <c>correction</c>, signing the attached files too); the report's content, version and files
/// stay as decided, and the note is shown beside them and printed on the decision record.
/// </summary>
public sealed class Corrections(ReformDbContext db, ReportWorkflow workflow, IReportAttachments attachments, TimeProvider time, JournalKeys keys)
{
    public const string Action = "correction";

    public async Task<Outcome<CorrectionView>> AddAsync(Guid reportId, string? text, Caller caller, CancellationToken cancellationToken)
    {
        text = string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        if (text is null)
        {
            return Outcome.Invalid("text", "required: what is corrected, and how");
        }

        if (ReportWorkflow.CommentProblem(text) is { } problem)
        {
            return Outcome.Invalid("text", problem);
        }

        for (var attempt = 1; ; attempt++)
        {
            if (await workflow.LoadAsync(reportId, caller, tracking: true, cancellationToken) is not { } found)
            {
                return Outcome.NotFound("No such report.");
            }

            var report = found.Report;
            if (!MayCorrect(caller))
            {
                db.ChangeTracker.Clear();
                return Outcome.Forbidden("Only headquarters (HqReviewer, HqAdmin) append corrections.");
            }

            if (report.Status != RouteDefinition.AcceptedStatus)
            {
                db.ChangeTracker.Clear();
                return Outcome.Conflict("Only an accepted report takes corrections; before that, return it (差戻し) to have it changed.");
            }

            var now = time.GetUtcNow().UtcDateTime;
            var attached = await attachments.SignAsync(report, cancellationToken);
            var entry = Journal.Append(keys, report, now, caller.UserId, caller.Name, null, null, Action, report.Status, report.Status, text,
                new JournalPlace(report.StepId, caller.Role.ToString(), caller.SectionCode), attached);
            db.JournalEntries.Add(entry);
            report.UpdatedAt = now;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return Outcome.Ok(new CorrectionView(entry.Seq, now, caller.Name, text));
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Another note took the same place in the journal: append after it.
                db.ChangeTracker.Clear();
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear();
                return Outcome.Conflict("The report changed at the same moment; reload it.");
            }
        }
    }

    /// <summary>The corrections, oldest first.</summary>
    public async Task<Outcome<IReadOnlyList<CorrectionView>>> ListAsync(Guid reportId, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(reportId, caller, tracking: false, cancellationToken) is null)
        {
            return Outcome.NotFound("No such report.");
        }

        return Outcome.Ok(await OfAsync(reportId, cancellationToken));
    }

    internal async Task<IReadOnlyList<CorrectionView>> OfAsync(Guid reportId, CancellationToken cancellationToken) =>
        await db.JournalEntries.AsNoTracking()
            .Where(e => e.ReportId == reportId && e.Action == Action)
            .OrderBy(e => e.Seq)
            .Select(e => new CorrectionView(e.Seq, e.At, e.Actor, e.Comment ?? string.Empty))
            .ToListAsync(cancellationToken);

    public static bool MayCorrect(Caller caller) => caller.Role is Role.HqReviewer or Role.HqAdmin;
}
