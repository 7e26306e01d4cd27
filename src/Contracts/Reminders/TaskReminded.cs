namespace AomoriReform.Contracts.Reminders;

/// <summary>A reminder went out for an open task, a number of days before its due date.</summary>
public sealed record TaskReminded
{
    public required Guid TaskId { get; init; }
    public required Guid ReportId { get; init; }
    public required string MeasureCode { get; init; }
    public required int FiscalYear { get; init; }
    public required int DaysBeforeDue { get; init; }
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
    public required int Level { get; init; }
    public required string EscalatedToRole { get; init; }
    public required int Recipients { get; init; }
    public required DateTime At { get; init; }
}
