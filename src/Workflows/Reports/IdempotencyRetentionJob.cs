using AomoriReform.Workflows.Persistence;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// Daily: deletes the replies kept for <c>Idempotency-Key</c> retries once they are older than
/// <see cref="ReportOptions.IdempotencyDays"/>. They hold the report as it was answered, content
/// included, so they are not kept longer than a retry needs.
/// </summary>
public sealed class IdempotencyRetentionJob(ReformDbContext db, TimeProvider time, IOptions<ReportOptions> options)
{
    public const string Id = "idempotency-retention";

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-options.Value.IdempotencyDays);
        return await db.IdempotencyRecords.Where(r => r.CreatedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }
}
