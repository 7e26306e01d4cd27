using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Jobs;

/// <summary>Keeps the outbox bounded: deletes rows that were sent longer ago than the retention period.</summary>
public sealed class OutboxRetentionJob(ReformDbContext db, TimeProvider time, IOptions<OutboxOptions> options)
{
    public const string Id = "outbox-retention";

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.Retention;
        return await db.OutboxMessages
            .Where(m => m.SentAt != null && m.SentAt < cutoff)
            .ExecuteDeleteAsync(cancellationToken);
    }
}
