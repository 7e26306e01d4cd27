namespace AomoriReform.Workflows.OpenData;

/// <summary>
/// A fiscal year's accepted reports published as open data (オープンデータ): a snapshot taken at the
/// moment HQ published, served as it is until it is withdrawn, so a later correction changes nothing
/// published until the year is published again. Withdrawn publications stay as the record of what
/// was public when; at most one per year is current (not withdrawn).
/// </summary>
public sealed class Publication
{
    public Guid Id { get; set; }
    public int FiscalYear { get; set; }
    public DateTime PublishedAt { get; set; }
    public required string PublishedById { get; set; }
    public required string PublishedBy { get; set; }
    public DateTime? WithdrawnAt { get; set; }
    public string? WithdrawnById { get; set; }
    public string? WithdrawnBy { get; set; }
    public int MeasureCount { get; set; }

    /// <summary>How many names or e-mail addresses were blanked out of the texts when publishing.</summary>
    public int Redactions { get; set; }

    /// <summary>SHA-256 (hex) of <see cref="Snapshot"/> as UTF-8: the files' ETags and the audit event carry it.</summary>
    public required string Sha256 { get; set; }

    /// <summary>The dataset exactly as <c>progress.json</c> serves it.</summary>
    public required string Snapshot { get; set; }
}
