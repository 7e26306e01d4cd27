using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Workflows.Engine;

public enum WorkTaskState
{
    Open,
    Completed,
    Cancelled,
}

public enum WorkTaskKind
{
    /// <summary>A decision on the report's current step, for a candidate group.</summary>
    Action,

    /// <summary>後閲: a principal reviews afterwards what a deputy decided for them (代決); it does not hold the report.</summary>
    PostReview,
}

/// <summary>
/// A piece of work waiting in an inbox: a step of one report, for a role within a section,
/// department or HQ (a candidate group), so a personnel transfer moves nobody's work.
/// </summary>
public sealed class WorkTask
{
    public Guid Id { get; set; }
    public Guid ReportId { get; set; }
    public required string StepId { get; set; }
    public WorkTaskKind Kind { get; set; }
    public Role AssigneeRole { get; set; }

    /// <summary>Set for personal tasks only (a 後閲 is the absent principal's own): the person, not a group.</summary>
    public string? AssigneeUserId { get; set; }

    /// <summary>For a 後閲: the journal entry (its seq) of the decision to review.</summary>
    public int? JournalSeq { get; set; }

    /// <summary>Set for section-scoped tasks (including each section of a consultation).</summary>
    public string? AssigneeSectionCode { get; set; }

    /// <summary>Set for department-scoped tasks.</summary>
    public string? AssigneeDepartmentCode { get; set; }
    public WorkTaskState State { get; set; }
    public DateOnly DueDate { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public string? CompletedBy { get; set; }
}
