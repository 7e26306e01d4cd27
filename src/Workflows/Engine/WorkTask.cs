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

/// <summary>
/// A task's candidate group (role, section, department) as one value, <c>Role:section:department</c>
/// with an absent part empty. The database computes it (column <c>assignee_key</c>) and the inbox
/// looks up the groups a person belongs to by equality on it, which an index and the planner's
/// statistics serve well; the columns it is made of stay the truth the inbox also checks.
/// </summary>
public static class AssigneeKeys
{
    /// <summary>The model's (shadow) property name; the column is <c>assignee_key</c>.</summary>
    public const string Property = "AssigneeKey";

    /// <summary>The same expression on PostgreSQL and SQLite.</summary>
    public const string Sql = "assignee_role || ':' || COALESCE(assignee_section_code, '') || ':' || COALESCE(assignee_department_code, '')";

    public static string Of(Role role, string? section, string? department) => $"{role}:{section}:{department}";

    /// <summary>
    /// Every group a person of this role, section and department is in: the HQ-wide one, their
    /// department's, their section's, and both together.
    /// </summary>
    public static IReadOnlyList<string> GroupsOf(Role role, string? section, string? department)
    {
        var keys = new List<string>(4) { Of(role, null, null) };
        if (department is not null)
        {
            keys.Add(Of(role, null, department));
        }

        if (section is not null)
        {
            keys.Add(Of(role, section, null));
            if (department is not null)
            {
                keys.Add(Of(role, section, department));
            }
        }

        return keys;
    }
}
