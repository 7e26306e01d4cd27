namespace AomoriReform.Workflows.Reports;

/// <summary>
/// The content as it was submitted in one round: every submitted version is kept, so that a
/// returned and resubmitted report shows what changed since the version the approver returned.
/// </summary>
public sealed class ReportSubmission
{
    public Guid ReportId { get; set; }
    public int Round { get; set; }

    /// <summary>The report's version after the submit.</summary>
    public int Version { get; set; }
    public ReportContent Content { get; set; } = ReportContent.Empty;
    public DateTime SubmittedAt { get; set; }
    public required string SubmittedById { get; set; }
    public required string SubmittedBy { get; set; }
}
