using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Jobs;

/// <summary>
/// Keeps the outbox and the consumers' record of processed messages bounded: deletes outbox rows
/// sent longer ago than <c>Outbox:Retention</c>, and processed-message records as old, except those of
/// an event still waiting in the outbox (a repeat of it must still be recognised). A message is only
/// delivered again while its row is unsent or, on RabbitMQ, within the broker's redelivery of an
/// unacknowledged message, both far shorter than the retention.
/// </summary>
public sealed class OutboxRetentionJob(ReformDbContext db, TimeProvider time, IOptions<OutboxOptions> options)
{
    public const string Id = "outbox-retention";

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.Retention;
        var outbox = await db.OutboxMessages
            .Where(m => m.SentAt != null && m.SentAt < cutoff)
            .ExecuteDeleteAsync(cancellationToken);
        var processed = await db.ProcessedMessages
            .Where(p => p.ProcessedAt < cutoff && !db.OutboxMessages.Any(m => m.SentAt == null && m.MessageId == p.MessageId))
            .ExecuteDeleteAsync(cancellationToken);
        return outbox + processed;
    }
}
