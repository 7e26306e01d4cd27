using AomoriReform.Workflows.Engine;

namespace AomoriReform.Workflows.Reports;

/// <summary>How a measure is doing, as the drafting section judges it.</summary>
public enum Progress
{
    OnTrack,
    MostlyOnTrack,
    Delayed,
    NotStarted,
}

public sealed record IndicatorActual(string Code, decimal? Actual);

/// <summary>What the drafting section writes.</summary>
public sealed record ReportContent(Progress? Progress, string? Achievements, string? NextSteps, IReadOnlyList<IndicatorActual> Indicators)
{
    public static readonly ReportContent Empty = new(null, null, null, []);

    /// <summary>How content is written as JSON everywhere: stored, hashed, kept for idempotent replies.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

/// <summary>
/// A progress report (進捗報告) of one measure for one fiscal year: a long-running workflow
/// instance on one version of an approval route. <see cref="Version"/> is the optimistic
/// concurrency token every action must name.
/// </summary>
public sealed class ProgressReport : IRouteInstance
{
    public Guid Id { get; set; }
    public Guid MeasureId { get; set; }
    public required string MeasureCode { get; set; }
    public required string ItemCode { get; set; }
    public required string SectionCode { get; set; }
    public required string DepartmentCode { get; set; }
    public int FiscalYear { get; set; }

    public required string RouteName { get; set; }
    public int RouteVersion { get; set; }

    /// <summary>The route step the report waits at; <see cref="Engine.RouteDefinition.AcceptedStatus"/> when done.</summary>
    public required string StepId { get; set; }
    public required string Status { get; set; }
    public int Version { get; set; }

    /// <summary>
    /// Moves each time the report's file list changes (an upload, a replacement, a deletion, the
    /// files taken off at disposal); 0 while the report has never had a file. A concurrency token
    /// like <see cref="Version"/>: a journaled action signs the list it read, and fails if the list
    /// changed before it committed; a file change fails if an action committed after it read the report.
    /// </summary>
    public int FilesStamp { get; set; }

    public ReportContent Content { get; set; } = ReportContent.Empty;

    /// <summary>Who submitted the current round; nobody approves their own submission.</summary>
    public string? SubmittedBy { get; set; }

    /// <summary>Who decided at which step in the current round (<see cref="Deciders"/>).</summary>
    public string RoundDeciders { get; set; } = string.Empty;

    /// <summary>How many times the report has been submitted: its submission rounds, from 1.</summary>
    public int Round { get; set; }

    /// <summary>The round whose submission was last returned to the drafter (差戻し), for "what changed".</summary>
    public int? ReturnedRound { get; set; }

    /// <summary>Where the last forward action was taken (submit, approve, concur), by whom and for whom: who may recall (引戻し).</summary>
    public string? LastStepId { get; set; }
    public string? LastActorId { get; set; }
    public string? LastOnBehalfOfId { get; set; }

    /// <summary>The sections the measure asks to concur (合議), space-separated, as the plan said when the report opened.</summary>
    public string ConsultSections { get; set; } = string.Empty;

    /// <summary>How many of them must concur (a quorum); null: all.</summary>
    public int? ConsultRequired { get; set; }

    /// <summary>The sections that concurred at the current consultation, space-separated.</summary>
    public string Concurred { get; set; } = string.Empty;

    /// <summary>Every section ever asked to concur on this report, space-padded (" a b "): they keep read access.</summary>
    public string ConsultedSections { get; set; } = string.Empty;

    /// <summary>決裁区分 (who decides) as the plan gave it, and the rule that chose the route, shown on the report.</summary>
    public string? ApprovalClass { get; set; }
    public string? RouteRule { get; set; }

    /// <summary>保存期間 as the plan gave it when the check-in opened (1, 3, 5, 10, 30 or 常用); null when it gave none.</summary>
    public string? RetentionClass { get; set; }

    /// <summary>
    /// The last day the record is kept (Japan date): set at acceptance from <see cref="RetentionClass"/>,
    /// moved later by an extension (延長); null while undecided and for 常用.
    /// </summary>
    public DateOnly? RetentionUntil { get; set; }

    /// <summary>
    /// When the record's content and files were removed at the end of its retention, leaving this
    /// row and the journal as a tombstone, and how: <c>disposed</c> (廃棄) or <c>transferred</c>
    /// (移管, to the archives). Null while the record is held.
    /// </summary>
    public DateTime? DisposedAt { get; set; }
    public string? Disposition { get; set; }

    /// <summary>The journal entry count and last hash: deleting the newest entry is detected too.</summary>
    public int JournalLength { get; set; }
    public string JournalHead { get; set; } = string.Empty;

    public DateOnly DueDate { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
    public DateTime? AcceptedAt { get; set; }
}
