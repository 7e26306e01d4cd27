namespace AomoriReform.Contracts.Reports;

/// <summary>
/// A work task was opened for a role within a section, department or HQ. Retired on 2026-12-05: the report
/// events carry the same in <c>openedTasks</c>, and a host publishes this event only with
/// <c>Reports:PublishTaskAssigned=true</c>, for a subscriber not yet moved to them.
/// </summary>
public sealed record TaskAssigned
{
    public required Guid TaskId { get; init; }
    public required Guid ReportId { get; init; }
    public required string MeasureCode { get; init; }
    public required int FiscalYear { get; init; }
    public required string StepId { get; init; }
    /// <summary>the role that may act on the task (a candidate group, never a person)</summary>
    public required string AssigneeRole { get; init; }
    /// <summary>the section of a section-scoped task (each consulted section has its own)</summary>
    public required string? AssigneeSectionCode { get; init; }
    /// <summary>the department of a department-scoped task</summary>
    public required string? AssigneeDepartmentCode { get; init; }
    public required DateOnly DueDate { get; init; }
    public required DateTime At { get; init; }
}
