namespace AomoriReform.Workflows.Reports;

/// <summary>The first answer to a request with an Idempotency-Key, stored in the action's transaction.</summary>
public sealed class IdempotencyRecord
{
    public required string UserId { get; set; }
    public required string Key { get; set; }
    public required string RequestHash { get; set; }
    public int StatusCode { get; set; }
    public required string Response { get; set; }
    public DateTime CreatedAt { get; set; }
}
