using System.Text.Json;
using AomoriReform.Workflows.Persistence;

namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// Adds integration events to the current unit of work. They are committed with the change
/// they describe, by the caller's SaveChanges, and published afterwards by the dispatcher.
/// </summary>
public sealed class Outbox(ReformDbContext db, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public OutboxMessage Add<T>(T message, string? streamId = null)
        where T : class
    {
        var row = Create(message, streamId);
        db.OutboxMessages.Add(row);
        return row;
    }

    /// <summary>The row for an event, not added to the unit of work: for a bulk insert in the caller's transaction.</summary>
    public OutboxMessage Create<T>(T message, string? streamId = null)
        where T : class => new()
        {
            MessageId = Guid.CreateVersion7(time.GetUtcNow()),
            MessageType = ContractTypes.NameOf(typeof(T)),
            Payload = JsonSerializer.Serialize(message, Json),
            StreamId = streamId,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
}
