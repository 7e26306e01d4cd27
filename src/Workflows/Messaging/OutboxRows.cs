using System.Text.Json;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Messaging;

/// <summary>The two things both of the dispatcher's paths (in-memory and RabbitMQ) do with a row.</summary>
internal static class OutboxRows
{
    /// <summary>Publishes one row as its contract type, under the row's message id (so a repeat is recognised).</summary>
    public static Task PublishAsync(IBus bus, OutboxMessage row, CancellationToken cancellationToken)
    {
        var type = ContractTypes.Resolve(row.MessageType);
        var message = JsonSerializer.Deserialize(row.Payload, type, Outbox.Json)!;
        return bus.Publish(message, type, context => context.MessageId = row.MessageId, cancellationToken);
    }

    /// <summary>
    /// Marks rows sent, in the caller's transaction if it has one (one statement: on its own it is its
    /// own transaction). On PostgreSQL the statement is written out, one text whatever the number of
    /// rows (the dispatcher marks about 70-80 times a second under load, and LINQ's translation of the
    /// update was built anew each time).
    /// </summary>
    public static Task MarkSentAsync(ReformDbContext db, IReadOnlyCollection<long> sequences, DateTime now, CancellationToken cancellationToken) =>
        db.Database.OnPostgres()
            ? db.Database.ExecuteSqlRawAsync("UPDATE outbox_messages SET sent_at = {0} WHERE sequence = ANY({1})", [now, sequences.ToArray()], cancellationToken)
            : db.OutboxMessages
                .Where(m => sequences.Contains(m.Sequence))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, now), cancellationToken);
}
