using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// Handles each message id once per consumer: the handler's changes and the processed-message
/// row commit in one transaction, so a redelivery (after a crash, a broker retry or an outbox
/// re-publish) finds the row and changes nothing.
/// </summary>
public abstract class IdempotentConsumer(ReformDbContext db, TimeProvider time)
{
    protected ReformDbContext Db => db;

    protected TimeProvider Time => time;

    protected async Task ConsumeOnceAsync(ConsumeContext context, Func<CancellationToken, Task> handle)
    {
        var messageId = context.MessageId ?? throw new InvalidOperationException("A message without a MessageId cannot be de-duplicated.");
        var consumer = OutboxConsumers.NameOf(GetType());
        var cancellationToken = context.CancellationToken;
        if (await db.ProcessedMessages.AnyAsync(p => p.Consumer == consumer && p.MessageId == messageId, cancellationToken))
        {
            return;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await handle(cancellationToken);
        db.ProcessedMessages.Add(new ProcessedMessage { Consumer = consumer, MessageId = messageId, ProcessedAt = time.GetUtcNow().UtcDateTime });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same message was processed concurrently (another delivery, another host).
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            if (!await db.ProcessedMessages.AnyAsync(p => p.Consumer == consumer && p.MessageId == messageId, cancellationToken))
            {
                throw;
            }
        }
    }
}
