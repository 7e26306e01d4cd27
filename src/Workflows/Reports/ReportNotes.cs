using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>A comment (意見) in a report's thread: who, when, at which step.</summary>
public sealed record CommentView(int Id, DateTime At, string Author, string? OnBehalfOf, string? Step, string Text);

/// <summary>
/// A deputy's decision for an absent principal (代決) and its review afterwards (後閲): whether the
/// principal has seen it, when, and what they said.
/// </summary>
public sealed record DeputyDecisionView(
    int Seq, DateTime At, string Deputy, string Principal, string Action, string? Step, DateOnly ReviewDue, DateTime? ReviewedAt, string? ReviewComment)
{
    public bool Reviewed => ReviewedAt is not null;
}

/// <summary>
/// What is added to a report without moving it: comments (意見) by the people of its current step,
/// and the principal's 後閲 of a deputy's decision. Each is an entry of the report's signed journal
/// (so the audit covers them) and an event on the bus; neither changes the report's version, so
/// nobody's open page goes stale for them.
/// </summary>
public sealed class ReportNotes(ReformDbContext db, ReportWorkflow workflow, Outbox outbox, TimeProvider time, JournalKeys keys)
{
    public const string CommentAction = "comment";
    public const string PostReviewAction = "postReview";

    /// <summary>Adds a comment at the report's current step: the step's assignees (themselves or as deputy), or a consulted section.</summary>
    public async Task<Outcome<CommentView>> CommentAsync(Guid id, string? text, Caller caller, CancellationToken cancellationToken)
    {
        text = string.IsNullOrWhiteSpace(text) ? null : text.Trim();
        if (text is null)
        {
            return Outcome.Invalid("text", "required: the comment");
        }

        if (ReportWorkflow.CommentProblem(text) is { } problem)
        {
            return Outcome.Invalid("text", problem);
        }

        return await AppendAsync(id, caller, (report, machine, now) =>
        {
            switch (machine.CheckComment())
            {
                case Refusal.State:
                    return Outcome.Conflict("An accepted report takes no more comments.");
                case Refusal.Caller:
                    return Outcome.Forbidden("Only the people of the report's current step comment on it.");
            }

            var step = machine.CurrentStep!;
            var entry = Append(report, caller, CommentAction, text, step.Id, now);
            outbox.Add(new ReportCommented { ReportId = report.Id, MeasureCode = report.MeasureCode, FiscalYear = report.FiscalYear, StepId = step.Id, Author = caller.Name, At = now }, report.Id.ToString("N"));
            return Outcome.Ok(new CommentView(entry.Seq, now, caller.Name, null, step.Id, text));
        }, cancellationToken);
    }

    /// <summary>The comments that moved nothing, oldest first.</summary>
    public async Task<Outcome<IReadOnlyList<CommentView>>> CommentsAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(id, caller, tracking: false, cancellationToken) is null)
        {
            return Outcome.NotFound("No such report.");
        }

        return Outcome.Ok(Comments(await db.JournalEntries.AsNoTracking()
            .Where(e => e.ReportId == id && e.Action == CommentAction)
            .OrderBy(e => e.Seq)
            .ToListAsync(cancellationToken)));
    }

    /// <summary>The comments among a report's journal entries (in their order).</summary>
    internal static IReadOnlyList<CommentView> Comments(IEnumerable<JournalEntry> entries) =>
        entries.Where(e => e.Action == CommentAction).Select(e => new CommentView(e.Seq, e.At, e.Actor, e.OnBehalfOf, e.StepId, e.Comment ?? string.Empty)).ToList();

    /// <summary>
    /// 後閲: the principal marks as seen every decision a deputy took for them on this report, with an
    /// optional comment that goes into the history. Only the principal themself, never a deputy.
    /// </summary>
    public async Task<Outcome<ReportView>> PostReviewAsync(Guid id, string? comment, Caller caller, CancellationToken cancellationToken)
    {
        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (ReportWorkflow.CommentProblem(comment) is { } problem)
        {
            return Outcome.Invalid("comment", problem);
        }

        var appended = await AppendAsync(id, caller, async (report, machine, now) =>
        {
            var open = await db.WorkTasks
                .Where(t => t.ReportId == id && t.Kind == WorkTaskKind.PostReview && t.State == WorkTaskState.Open && t.AssigneeUserId == caller.UserId)
                .ToListAsync(cancellationToken);
            if (open.Count == 0)
            {
                return Outcome.Conflict("Nothing on this report waits for your review afterwards (後閲).");
            }

            foreach (var task in open)
            {
                task.State = WorkTaskState.Completed;
                task.CompletedAt = now;
                task.CompletedBy = caller.UserId;
            }

            Append(report, caller, PostReviewAction, comment, machine.CurrentStep?.Id ?? report.StepId, now);
            outbox.Add(new ReportPostReviewed { ReportId = report.Id, MeasureCode = report.MeasureCode, FiscalYear = report.FiscalYear, Principal = caller.Name, Decisions = open.Count, At = now }, report.Id.ToString("N"));
            return Outcome.Done;
        }, cancellationToken);
        return appended.IsOk ? await workflow.GetAsync(id, caller, cancellationToken) : appended.Failure!;
    }

    /// <summary>The deputies' decisions on a report and their 後閲, oldest first.</summary>
    public async Task<IReadOnlyList<DeputyDecisionView>> DeputyDecisionsAsync(Guid id, CancellationToken cancellationToken) =>
        await DeputyDecisionsAsync(id, await db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync(cancellationToken), cancellationToken);

    /// <summary>The same, from the report's journal entries (in their order), read by the caller.</summary>
    internal async Task<IReadOnlyList<DeputyDecisionView>> DeputyDecisionsAsync(Guid id, IReadOnlyList<JournalEntry> journal, CancellationToken cancellationToken)
    {
        var reviews = await db.WorkTasks.AsNoTracking()
            .Where(t => t.ReportId == id && t.Kind == WorkTaskKind.PostReview)
            .Select(t => new { t.JournalSeq, t.DueDate, t.State, t.CompletedAt })
            .ToListAsync(cancellationToken);
        var entries = journal.Where(e => e.OnBehalfOfId != null || e.Action == PostReviewAction).ToList();
        var reviewEntries = entries.Where(e => e.Action == PostReviewAction).ToList();
        return entries.Where(e => e.Action != PostReviewAction && reviews.Any(r => r.JournalSeq == e.Seq)).Select(e =>
        {
            var review = reviews.First(r => r.JournalSeq == e.Seq);
            var seen = review.State == WorkTaskState.Completed ? reviewEntries.FirstOrDefault(r => r.ActorId == e.OnBehalfOfId && r.Seq > e.Seq) : null;
            return new DeputyDecisionView(e.Seq, e.At, e.Actor, e.OnBehalfOf!, e.Action, e.StepId, review.DueDate, seen?.At ?? review.CompletedAt, seen?.Comment);
        }).ToList();
    }

    private JournalEntry Append(ProgressReport report, Caller caller, string action, string? text, string stepId, DateTime now)
    {
        var entry = Journal.Append(keys, report, now, caller.UserId, caller.Name, null, null, action, report.Status, report.Status, text,
            new JournalPlace(stepId, caller.Role.ToString(), caller.SectionCode));
        db.JournalEntries.Add(entry);
        report.UpdatedAt = now;
        return entry;
    }

    private Task<Outcome<T>> AppendAsync<T>(Guid id, Caller caller, Func<ProgressReport, RouteMachine, DateTime, Outcome<T>> note, CancellationToken cancellationToken) =>
        AppendAsync(id, caller, (report, machine, now) => Task.FromResult(note(report, machine, now)), cancellationToken);

    /// <summary>
    /// Loads the report, lets <paramref name="note"/> add to its journal, and saves. The journal's
    /// length and head are kept on the report row under its concurrency token, so a note racing an
    /// action is retried on the fresh row (a note never makes the person redo anything).
    /// </summary>
    private async Task<Outcome<T>> AppendAsync<T>(Guid id, Caller caller, Func<ProgressReport, RouteMachine, DateTime, Task<Outcome<T>>> note, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await workflow.LoadAsync(id, caller, tracking: true, cancellationToken) is not { } found)
            {
                return Outcome.NotFound("No such report.");
            }

            var outcome = await note(found.Report, found.Machine, time.GetUtcNow().UtcDateTime);
            if (!outcome.IsOk)
            {
                db.ChangeTracker.Clear();
                return outcome;
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return outcome;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                db.ChangeTracker.Clear();
            }
        }
    }
}
