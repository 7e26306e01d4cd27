using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Persistence;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Records;

/// <summary>What one monthly review did.</summary>
public sealed record RetentionReview(int ClassesFilled, int PeriodsSet, int NewlyDue, int Due);

/// <summary>
/// Monthly (the 1st, 06:00 Japan time): the retention review. It gives a class to reports opened
/// before their measure had one (from the plan as it stands), sets the end of period of decided
/// reports that have none yet (reports accepted before retention existed), and lists each record
/// whose period has ended and awaits a decision (<see cref="RecordRetention.ListedAt"/>), so HqAdmin
/// finds it under 保存期間の管理. It decides nothing: disposal and transfer wait for HqAdmin.
/// </summary>
public sealed class RetentionReviewJob(ReformDbContext db, TimeProvider time, ILogger<RetentionReviewJob> logger)
{
    public const string Id = "retention-review";

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    public async Task<RetentionReview> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var today = FiscalYear.JapanDate(now);

        var unclassed = await (from r in db.ProgressReports
                               join m in db.Measures on r.MeasureId equals m.Id
                               where r.RetentionClass == null && m.RetentionClass != null && r.DisposedAt == null
                               select new { Report = r, m.RetentionClass }).ToListAsync(cancellationToken);
        foreach (var row in unclassed)
        {
            row.Report.RetentionClass = row.RetentionClass;
        }

        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();

        var undated = await db.ProgressReports
            .Where(r => r.Status == RouteDefinition.AcceptedStatus && r.AcceptedAt != null && r.RetentionUntil == null && r.RetentionClass != null
                && r.RetentionClass != Retention.Permanent && r.DisposedAt == null)
            .ToListAsync(cancellationToken);
        foreach (var report in undated)
        {
            report.RetentionUntil = Retention.Until(report.RetentionClass, report.AcceptedAt!.Value);
        }

        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();

        var due = await (from r in db.ProgressReports
                         join rr in db.RecordRetentions on r.Id equals rr.ReportId into retained
                         from rr in retained.DefaultIfEmpty()
                         where r.Status == RouteDefinition.AcceptedStatus && r.DisposedAt == null && r.RetentionUntil < today
                            && (rr == null || rr.HoldReason == null)
                         select new { r.Id, Listed = rr == null ? null : rr.ListedAt }).ToListAsync(cancellationToken);
        var newly = due.Where(d => d.Listed is null).Select(d => d.Id).ToList();
        foreach (var batch in newly.Chunk(500))
        {
            foreach (var id in batch)
            {
                (await RecordRetention.ClaimAsync(db, id, cancellationToken)).ListedAt = now.UtcDateTime;
            }

            await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }

        var review = new RetentionReview(unclassed.Count, undated.Count, newly.Count, due.Count);
        if (logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("Retention review: {Filled} classes filled from the plan, {Dated} periods set, {Newly} records newly due, {Due} due in all.",
                review.ClassesFilled, review.PeriodsSet, review.NewlyDue, review.Due);
        }

        return review;
    }
}
