namespace AomoriReform.Workflows.Reports;

/// <summary>
/// One entry of the approval history (決裁履歴): append-only, chained per report by an
/// HMAC-SHA256 (under a key kept outside the database) of its content, the report's content
/// hash and the previous entry's hash, so an edit, a reorder or a deletion is found.
/// </summary>
public sealed class JournalEntry
{
    /// <summary>Global insertion order.</summary>
    public long Id { get; set; }
    public Guid ReportId { get; set; }

    /// <summary>Position in the report's history, from 1.</summary>
    public int Seq { get; set; }
    public DateTime At { get; set; }
    public required string ActorId { get; set; }
    public required string Actor { get; set; }

    /// <summary>The actor's role and section when they acted: a later transfer (人事異動) does not rewrite history.</summary>
    public string? ActorRole { get; set; }
    public string? ActorSectionCode { get; set; }

    /// <summary>The route step the action was taken at.</summary>
    public string? StepId { get; set; }
    public string? OnBehalfOfId { get; set; }
    public string? OnBehalfOf { get; set; }
    public required string Action { get; set; }
    public string? FromStatus { get; set; }
    public required string ToStatus { get; set; }
    public string? Comment { get; set; }

    /// <summary>The report's version after the action.</summary>
    public int ReportVersion { get; set; }

    /// <summary>SHA-256 of the report's content as it stood after the action.</summary>
    public string ContentHash { get; set; } = string.Empty;

    /// <summary>
    /// The report's attached files when the entry was written, one line per file,
    /// "{attachment id} {version} {sha256}", sorted; empty for none. Null on entries that sign no
    /// list (written before attachments existed, and notes that move nothing).
    /// </summary>
    public string? Attachments { get; set; }

    /// <summary>SHA-256 of <see cref="Attachments"/>, which the entry's HMAC covers (j4).</summary>
    public string? AttachmentsHash { get; set; }

    /// <summary>Which journal key signed <see cref="Hash"/> (see <see cref="JournalKeys"/>).</summary>
    public string KeyId { get; set; } = string.Empty;
    public required string PreviousHash { get; set; }
    public required string Hash { get; set; }
}

/// <summary>Where an action was taken: the route step, and the actor's role and section at that moment.</summary>
public sealed record JournalPlace(string? StepId, string? ActorRole, string? ActorSectionCode);
