namespace AomoriReform.Workflows.Records;

/// <summary>
/// The decision record (決裁文書) of one progress report: what is printed for the paper file and
/// the archives. Labels (status, progress, actions) are the Japanese text as printed; every
/// instant is UTC and printed in Japan time.
/// </summary>
public sealed record DecisionRecord
{
    public required string MeasureCode { get; init; }
    public required string MeasureTitle { get; init; }
    public required int FiscalYear { get; init; }
    public required string DepartmentName { get; init; }
    public required string SectionName { get; init; }
    public required string RouteTitle { get; init; }

    /// <summary>The status label, e.g. 受理済.</summary>
    public required string Status { get; init; }
    public required Guid ReportId { get; init; }
    public required int Version { get; init; }
    public DateTime? AcceptedAt { get; init; }

    /// <summary>The retention class (保存期間), e.g. 5年 or 常用.</summary>
    public string? RetentionClass { get; init; }
    public required DateTime GeneratedAt { get; init; }

    /// <summary>The progress label: 順調, おおむね順調, 遅れ or 未着手; null when not entered.</summary>
    public string? Progress { get; init; }
    public string? Achievements { get; init; }
    public string? NextSteps { get; init; }

    public IReadOnlyList<IndicatorResult> Indicators { get; init; } = [];
    public IReadOnlyList<ApprovalEntry> Approvals { get; init; } = [];

    /// <summary>Minor corrections (軽微な修正) appended after acceptance.</summary>
    public IReadOnlyList<Correction> Corrections { get; init; } = [];
    public IReadOnlyList<AttachedFile> Attachments { get; init; } = [];
    public required JournalSeal Journal { get; init; }
}

public sealed record IndicatorResult(string Code, string Title, string Unit, decimal? Target, decimal? Actual);

/// <summary>
/// One action in the approval record. With <see cref="OnBehalfOf"/> set it is a decision by a
/// deputy (代決), which the principal reviews afterwards (後閲): <see cref="PostReview"/> is null
/// until they have.
/// </summary>
public sealed record ApprovalEntry
{
    public required int Seq { get; init; }
    public required string StepTitle { get; init; }

    /// <summary>The action label, e.g. 提出, 承認, 差戻し, 受理, 合議同意.</summary>
    public required string Action { get; init; }
    public required string ActorName { get; init; }

    /// <summary>The actor's section and title at the time, e.g. 行政経営課 課長補佐.</summary>
    public string? ActorTitle { get; init; }
    public string? OnBehalfOf { get; init; }
    public required DateTime At { get; init; }
    public string? Comment { get; init; }
    public PostReview? PostReview { get; init; }

    public bool IsDeputyDecision => OnBehalfOf is not null;
}

/// <summary>The principal's review (後閲) of a deputy's decision.</summary>
public sealed record PostReview(DateTime SeenAt, string SeenBy, string? Comment);

public sealed record Correction(string Author, DateTime At, string Text);

public sealed record AttachedFile(string FileName, int Version, long SizeBytes, string Sha256, string UploadedBy, DateTime UploadedAt);

/// <summary>The journal at the time of printing: entry count, head hash and the signing key's id.</summary>
public sealed record JournalSeal(int EntryCount, string HeadHash, string KeyId);
