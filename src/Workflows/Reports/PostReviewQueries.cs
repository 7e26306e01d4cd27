using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>A 後閲 (a principal's review of a deputy's decision, 代決) as HQ follows them.</summary>
public sealed record PostReviewItem(
    Guid TaskId, Guid ReportId, string MeasureCode, string MeasureTitle, int FiscalYear, string Principal, string Deputy, string Action,
    DateTime DecidedAt, DateOnly DueDate, bool Overdue, DateTime? ReviewedAt);

/// <summary>Which 後閲 to list: open (default), done or all; only overdue ones; one fiscal year.</summary>
public sealed record PostReviewFilter(string? State = null, bool? Overdue = null, int? FiscalYear = null);

/// <summary>HQ's view of the 後閲 still open and overdue, so that no deputy's decision goes unseen by the person it was taken for.</summary>
public sealed class PostReviewQueries(ReformDbContext db, CallerResolver callers)
{
    public async Task<Outcome<Page<PostReviewItem>>> ListAsync(PostReviewFilter filter, Paging paging, CancellationToken cancellationToken)
    {
        if (filter.State is not (null or "open" or "done" or "all"))
        {
            return Outcome.Invalid("state", "one of open, done, all");
        }

        var today = callers.Today;
        var tasks = db.WorkTasks.AsNoTracking().Where(t => t.Kind == WorkTaskKind.PostReview);
        tasks = (filter.State ?? "open") switch
        {
            "open" => tasks.Where(t => t.State == WorkTaskState.Open),
            "done" => tasks.Where(t => t.State == WorkTaskState.Completed),
            _ => tasks,
        };
        if (filter.Overdue is { } overdue)
        {
            tasks = overdue ? tasks.Where(t => t.State == WorkTaskState.Open && t.DueDate < today) : tasks.Where(t => t.State != WorkTaskState.Open || t.DueDate >= today);
        }

        var rows = tasks.Join(db.ProgressReports, t => t.ReportId, r => r.Id, (t, r) => new { Task = t, Report = r });
        if (filter.FiscalYear is { } year)
        {
            rows = rows.Where(x => x.Report.FiscalYear == year);
        }

        var total = await rows.CountAsync(cancellationToken);
        var page = await rows
            .OrderBy(x => x.Task.State).ThenBy(x => x.Task.DueDate).ThenBy(x => x.Task.Id)
            .Skip(paging.Skip).Take(paging.Size)
            .Select(x => new
            {
                x.Task.Id, x.Task.ReportId, x.Report.MeasureCode, x.Report.FiscalYear, x.Task.DueDate, x.Task.State, x.Task.CompletedAt,
                Title = db.Measures.Where(m => m.Id == x.Report.MeasureId).Select(m => m.Title).FirstOrDefault(),
                Entry = db.JournalEntries.Where(e => e.ReportId == x.Task.ReportId && e.Seq == x.Task.JournalSeq).Select(e => new { e.Actor, e.OnBehalfOf, e.Action, e.At }).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return Outcome.Ok(new Page<PostReviewItem>(page.Select(x => new PostReviewItem(
            x.Id, x.ReportId, x.MeasureCode, x.Title ?? x.MeasureCode, x.FiscalYear, x.Entry?.OnBehalfOf ?? string.Empty, x.Entry?.Actor ?? string.Empty,
            x.Entry?.Action ?? string.Empty, x.Entry?.At ?? default, x.DueDate, x.State == WorkTaskState.Open && x.DueDate < today,
            x.State == WorkTaskState.Completed ? x.CompletedAt : null)).ToList(), total));
    }
}
