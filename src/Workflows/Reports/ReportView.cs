namespace AomoriReform.Workflows.Reports;

/// <summary>A report as the API shows it to one caller.</summary>
public sealed record ReportView(
    Guid Id, string MeasureCode, string MeasureTitle, string SectionCode, int FiscalYear, string Route, int RouteVersion,
    string Status, int Version, DateOnly DueDate, ReportContent Content, IReadOnlyList<string> PermittedActions);

public sealed record HistoryEntry(int Seq, DateTime At, string Actor, string? OnBehalfOf, string Action, string? FromStatus, string ToStatus, string? Comment);

public sealed record InboxItem(
    Guid TaskId, Guid ReportId, string MeasureCode, string MeasureTitle, int FiscalYear, string Status, string StepId,
    DateOnly DueDate, bool Overdue, string? OnBehalfOf);

