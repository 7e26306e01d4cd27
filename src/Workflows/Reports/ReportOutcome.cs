namespace AomoriReform.Workflows.Reports;

public enum OutcomeKind
{
    Ok,
    NotFound,
    Forbidden,
    Conflict,
    Invalid,
}

/// <summary>The answer to a request on a report; the Host maps it to 200, 404, 403, 409 or 400.</summary>
public sealed record ReportOutcome(OutcomeKind Kind, ReportView? Report = null, string? Detail = null, string? Field = null)
{
    public static ReportOutcome Ok(ReportView report) => new(OutcomeKind.Ok, report);

    public static readonly ReportOutcome NotFound = new(OutcomeKind.NotFound, Detail: "No such report.");

    public static ReportOutcome Forbidden(string detail) => new(OutcomeKind.Forbidden, Detail: detail);

    public static ReportOutcome Conflict(string detail) => new(OutcomeKind.Conflict, Detail: detail);

    public static ReportOutcome Invalid(string field, string detail) => new(OutcomeKind.Invalid, Detail: detail, Field: field);
}

/// <summary>A report as the API shows it to one caller.</summary>
public sealed record ReportView(
    Guid Id, string MeasureCode, string MeasureTitle, string SectionCode, int FiscalYear, string Route, int RouteVersion,
    string Status, int Version, DateOnly DueDate, ReportContent Content, IReadOnlyList<string> PermittedActions);

public sealed record HistoryEntry(int Seq, DateTime At, string Actor, string? OnBehalfOf, string Action, string? FromStatus, string ToStatus, string? Comment);

public sealed record InboxItem(
    Guid TaskId, Guid ReportId, string MeasureCode, string MeasureTitle, int FiscalYear, string Status, string StepId,
    DateOnly DueDate, bool Overdue, string? OnBehalfOf);

public sealed record Page<T>(IReadOnlyList<T> Items, int Total);
