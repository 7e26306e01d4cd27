namespace AomoriReform.Contracts.Reports;

/// <summary>意見: an approver or a consulted section commented on a report at its step, without moving it.</summary>
public sealed record ReportCommented
{
    public required Guid ReportId { get; init; }
    public required string MeasureCode { get; init; }
    public required int FiscalYear { get; init; }
    public required string StepId { get; init; }
    /// <summary>who commented (display name)</summary>
    public required string Author { get; init; }
    public required DateTime At { get; init; }
}

/// <summary>後閲: a principal reviewed what a deputy decided for them (代決) while they were away.</summary>
public sealed record ReportPostReviewed
{
    public required Guid ReportId { get; init; }
    public required string MeasureCode { get; init; }
    public required int FiscalYear { get; init; }
    /// <summary>the principal who reviewed (display name)</summary>
    public required string Principal { get; init; }

    /// <summary>How many of the deputy's decisions this review covered.</summary>
    public required int Decisions { get; init; }
    public required DateTime At { get; init; }
}
