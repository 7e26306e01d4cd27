using AomoriReform.Workflows.Engine;

namespace AomoriReform.Workflows.Reports;

/// <summary>A report as the API shows it to one caller.</summary>
public sealed record ReportView(
    Guid Id, string MeasureCode, string MeasureTitle, string SectionCode, int FiscalYear, string Route, int RouteVersion,
    string Status, int Version, DateOnly DueDate, ReportContent Content, IReadOnlyList<string> PermittedActions)
{
    /// <summary>The route's steps and where the report stands on each.</summary>
    public IReadOnlyList<StepView> Steps { get; init; } = [];

    /// <summary>When the caller may return the report (差戻し): the steps it may go back to, the draft first.</summary>
    public IReadOnlyList<string> ReturnSteps { get; init; } = [];

    /// <summary>May the caller comment (意見) at the current step without moving the report?</summary>
    public bool CanComment { get; init; }

    /// <summary>Does the caller have a 後閲 open on this report (a deputy decided for them)?</summary>
    public bool PostReviewOpen { get; init; }

    /// <summary>決裁区分 as the plan gave it, and the rule that chose the route.</summary>
    public string? ApprovalClass { get; init; }

    public string? RouteRule { get; init; }

    /// <summary>保存期間 (1, 3, 5, 10, 30 years or 常用) and, once accepted, the last day it is kept (null for 常用).</summary>
    public string? RetentionClass { get; init; }

    public DateOnly? RetentionUntil { get; init; }

    /// <summary>When the record's content and files were removed at the end of its retention (a tombstone), and how: <c>disposed</c> (廃棄) or <c>transferred</c> (移管).</summary>
    public DateTime? DisposedAt { get; init; }

    public string? Disposition { get; init; }

    /// <summary>How many times the report has been submitted.</summary>
    public int Round { get; init; }
}

/// <summary>
/// A step of a report's route and where the report stands on it: done, current, pending, or
/// skipped. A consultation names the sections it asks and how many must concur.
/// </summary>
public sealed record StepView(
    string Id, string Title, StepKind Kind, string Status, Organisation.Role Role, string State,
    IReadOnlyList<string>? Sections = null, int? Required = null);

/// <summary>
/// One entry of the history: who (with their role and section at the time), on whose behalf
/// (代理, a 代決), what, at which step, from which status to which, and the comment.
/// </summary>
public sealed record HistoryEntry(int Seq, DateTime At, string Actor, string? OnBehalfOf, string Action, string? FromStatus, string ToStatus, string? Comment)
{
    public string? Step { get; init; }
    public string? ActorRole { get; init; }
    public string? ActorSection { get; init; }
}

/// <summary>A task in an inbox: <c>kind</c> is <c>action</c> (a decision the report waits for) or <c>postReview</c> (後閲).</summary>
public sealed record InboxItem(
    Guid TaskId, Guid ReportId, string MeasureCode, string MeasureTitle, int FiscalYear, string Status, string StepId,
    DateOnly DueDate, bool Overdue, string? OnBehalfOf)
{
    public string Kind { get; init; } = "action";

    /// <summary>Whether the step allows deciding it for many reports at once (一括承認).</summary>
    public bool Bulk { get; init; }

    /// <summary>The report's version, for a bulk action's items.</summary>
    public int Version { get; init; }
}
