namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// An integration event written in the same transaction as the change it reports; the
/// dispatcher publishes it afterwards, so a crash between commit and publish loses nothing.
/// </summary>
public sealed class OutboxMessage
{
    /// <summary>Commit order; the dispatcher publishes in this order.</summary>
    public long Sequence { get; set; }

    /// <summary>The bus message id, so consumers can recognise a redelivery.</summary>
    public Guid MessageId { get; set; }

    /// <summary>Full name of the contract type in AomoriReform.Contracts.</summary>
    public required string MessageType { get; set; }
    public required string Payload { get; set; }

    /// <summary>What the event is about (a report id), for per-stream ordering.</summary>
    public string? StreamId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
}
