using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Workflows.Callers;

/// <summary>
/// 代理: within the dates, the deputy sees the principal's tasks and acts on their behalf. The
/// principal's role and scope at appointment are kept: once the principal's current role,
/// section or department differ (a transfer), the appointment is void.
/// </summary>
public sealed class Deputy
{
    public Guid Id { get; set; }
    public required string PrincipalId { get; set; }
    public required string DeputyId { get; set; }
    public DateOnly From { get; set; }
    public DateOnly To { get; set; }
    public DateTime CreatedAt { get; set; }

    public Role PrincipalRole { get; set; }
    public string? PrincipalSectionCode { get; set; }
    public string? PrincipalDepartmentCode { get; set; }

    /// <summary>When the principal or an HQ admin ended it; null while it stands.</summary>
    public DateTime? EndedAt { get; set; }
    public string? EndedBy { get; set; }
}
