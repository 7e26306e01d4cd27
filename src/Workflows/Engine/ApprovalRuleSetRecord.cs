namespace AomoriReform.Workflows.Engine;

/// <summary>A published version of the approval rules (決裁区分 → route) as stored; immutable but for its retirement.</summary>
public sealed class ApprovalRuleSetRecord
{
    public required string Name { get; set; }
    public int Version { get; set; }
    public required string Title { get; set; }

    /// <summary>The Japan date from which a check-in opened on or after it uses these rules.</summary>
    public DateOnly EffectiveFrom { get; set; }

    /// <summary>The parsed rule set as JSON.</summary>
    public required string Definition { get; set; }
    public required string SourceFile { get; set; }

    /// <summary>SHA-256 of the file as published (lower-case hex).</summary>
    public required string Sha256 { get; set; }
    public DateTime PublishedAt { get; set; }

    /// <summary>Who published it (a person's name; null for the file shipped with the release).</summary>
    public string? PublishedBy { get; set; }

    /// <summary>When it was retired (廃止): it is never in force again. Null while active.</summary>
    public DateTime? RetiredAt { get; set; }
    public string? RetiredBy { get; set; }
}
