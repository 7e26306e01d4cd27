namespace AomoriReform.Workflows.Messaging;

/// <summary>A message a consumer has handled; a redelivery with the same id is ignored.</summary>
public sealed class ProcessedMessage
{
    public required string Consumer { get; set; }
    public Guid MessageId { get; set; }
    public DateTime ProcessedAt { get; set; }
}
