namespace AomoriReform.Workflows.Reports;

/// <summary>One attached file's version as a journal entry signs it: which file, which version, its SHA-256.</summary>
public sealed record SignedAttachment(Guid AttachmentId, int Version, string Sha256);

/// <summary>One stored version of an attached file, for verification: whose report it belongs to and its recorded SHA-256.</summary>
public sealed record StoredAttachment(Guid ReportId, string Sha256);

/// <summary>
/// What the stored attachments are, for <see cref="Journal.VerifyAsync(Persistence.ReformDbContext, JournalKeys, IReportAttachments, bool, CancellationToken)"/>:
/// every version kept (metadata only, never the bytes), and each report's current list.
/// </summary>
public sealed record AttachmentLedger(
    IReadOnlyDictionary<(Guid AttachmentId, int Version), StoredAttachment> Versions,
    IReadOnlyDictionary<Guid, IReadOnlyList<SignedAttachment>> Current)
{
    public static readonly AttachmentLedger Empty = new(new Dictionary<(Guid, int), StoredAttachment>(), new Dictionary<Guid, IReadOnlyList<SignedAttachment>>());
}

/// <summary>
/// The one seam through which the report's journal signs and checks the report's evidence
/// attachments (添付資料), which the Records feature keeps. Reports knows only this interface;
/// Records implements it and depends on Reports, never the other way. Without Records the
/// report has no attachments (<see cref="NoReportAttachments"/>).
/// </summary>
public interface IReportAttachments
{
    /// <summary>
    /// Called inside an action's unit of work, before its journal entry is written: the report's
    /// current attachments (the latest version of each file not deleted). The claim on them is the
    /// tracked report's <see cref="ProgressReport.FilesStamp"/>, a concurrency token: an upload,
    /// replacement or deletion that commits meanwhile moves it and makes this action's SaveChanges
    /// fail (409), and an action that commits first moves the report's version under the file
    /// change, so an entry never signs a list that was not the list when it committed. A report
    /// that never had a file costs no read.
    /// </summary>
    Task<IReadOnlyList<SignedAttachment>> SignAsync(ProgressReport report, CancellationToken cancellationToken);

    /// <summary>Every stored version and every report's current list (metadata only).</summary>
    Task<AttachmentLedger> LedgerAsync(CancellationToken cancellationToken);

    /// <summary>The SHA-256 recomputed from a version's stored bytes; null when the bytes are gone.</summary>
    Task<string?> RehashAsync(Guid attachmentId, int version, CancellationToken cancellationToken);
}

/// <summary>Reports on their own: no attachments.</summary>
public sealed class NoReportAttachments : IReportAttachments
{
    public Task<IReadOnlyList<SignedAttachment>> SignAsync(ProgressReport report, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SignedAttachment>>([]);

    public Task<AttachmentLedger> LedgerAsync(CancellationToken cancellationToken) => Task.FromResult(AttachmentLedger.Empty);

    public Task<string?> RehashAsync(Guid attachmentId, int version, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}
