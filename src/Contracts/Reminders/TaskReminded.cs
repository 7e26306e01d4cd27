namespace AomoriReform.Contracts.Reminders;

/// <summary>A reminder went out for an open task, a number of days before its due date.</summary>
public sealed record TaskReminded
{
    public required Guid TaskId { get; init; }
    public required Guid ReportId { get; init; }
    public required string MeasureCode { get; init; }
    public required int FiscalYear { get; init; }
    /// <summary>how many days (business days on a business-day step) before the due date; 0 for a 後閲 on its due date</summary>
    public required int DaysBeforeDue { get; init; }
    /// <summary>how many people were notified</summary>
    public required int Recipients { get; init; }
    public required DateTime At { get; init; }
}

/// <summary>An overdue task was escalated: level 1 to the section chief, level 2 to HQ.</summary>
public sealed record TaskEscalated
{
    public required Guid TaskId { get; init; }
    public required Guid ReportId { get; init; }
    public required string MeasureCode { get; init; }
    public required int FiscalYear { get; init; }
    /// <summary>1: to the section chief, the day after the due date; 2: to HQ, a week later</summary>
    public required int Level { get; init; }
    /// <summary>the role the escalation went to (SectionChief or HqReviewer)</summary>
    public required string EscalatedToRole { get; init; }
    /// <summary>how many people were notified</summary>
    public required int Recipients { get; init; }
    public required DateTime At { get; init; }
}
