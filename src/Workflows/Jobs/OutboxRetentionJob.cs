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

    /// <summary>
    /// Rows per delete. A long-running installation's first run, or one after a busy day, has tens of
    /// thousands of rows to remove; one statement for them all took the database from the approvals for
    /// most of a second (the soak's p99 rose to 0.9 s in that minute). Short deletes with a pause between
    /// them let the approvals through.
    /// </summary>
    public const int BatchSize = 2000;

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - options.Value.Retention;
        var deleted = 0;
        int batch;
        do
        {
            var oldest = db.OutboxMessages.Where(m => m.SentAt != null && m.SentAt < cutoff).OrderBy(m => m.Sequence).Select(m => m.Sequence).Take(BatchSize);
            batch = await db.OutboxMessages.Where(m => oldest.Contains(m.Sequence)).ExecuteDeleteAsync(cancellationToken);
            deleted += batch;
        }
        while (await FullAsync(batch, cancellationToken));

        do
        {
            // Keyed by consumer and message: a batch is the rows of the oldest messages, each condition checked again.
            var old = db.ProcessedMessages.Where(p => p.ProcessedAt < cutoff && !db.OutboxMessages.Any(m => m.SentAt == null && m.MessageId == p.MessageId));
            var oldest = old.OrderBy(p => p.ProcessedAt).Select(p => p.MessageId).Take(BatchSize);
            batch = await old.Where(p => oldest.Contains(p.MessageId)).ExecuteDeleteAsync(cancellationToken);
            deleted += batch;
        }
        while (await FullAsync(batch, cancellationToken));

        return deleted;
    }

    // A full batch may have left more: pause, then go on. A short one was the last.
    private static async Task<bool> FullAsync(int batch, CancellationToken cancellationToken)
    {
        if (batch < BatchSize)
        {
            return false;
        }

        await Task.Delay(Pause, cancellationToken);
        return true;
    }
}
