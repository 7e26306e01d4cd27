namespace AomoriReform.Workflows.Deputies;

/// <summary>代理: within the dates, the deputy sees the principal's tasks and acts on their behalf.</summary>
public sealed class Deputy
{
    public Guid Id { get; set; }
    public required string PrincipalId { get; set; }
    public required string DeputyId { get; set; }
    public DateOnly From { get; set; }
    public DateOnly To { get; set; }
    public DateTime CreatedAt { get; set; }
}
