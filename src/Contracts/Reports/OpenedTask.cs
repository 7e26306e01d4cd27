namespace AomoriReform.Contracts.Reports;

/// <summary>
/// A work task an action opened, as the report events carry it (<c>openedTasks</c>):
/// who may act next on the report, and by when. Part of an event, never published alone.
/// </summary>
public sealed record OpenedTask
{
    public required Guid TaskId { get; init; }
    public required string StepId { get; init; }
    /// <summary>the role that may act on the task (a candidate group, never a person)</summary>
    public required string AssigneeRole { get; init; }
    /// <summary>the section of a section-scoped task (each consulted section has its own)</summary>
    public required string? AssigneeSectionCode { get; init; }
    /// <summary>the department of a department-scoped task</summary>
    public required string? AssigneeDepartmentCode { get; init; }
    public required DateOnly DueDate { get; init; }
}
