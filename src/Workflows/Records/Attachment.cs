namespace AomoriReform.Workflows.Records;

/// <summary>
/// An evidence attachment (添付資料) of a progress report: one file slot with one or more versions.
/// Replacing the file adds a version; deleting it (only while the report is editable) takes it off
/// the report's list but keeps every version, because journal entries may have signed them.
/// </summary>
public sealed class Attachment
{
    public Guid Id { get; set; }
    public Guid ReportId { get; set; }

    /// <summary>Its number on the report, from 1 in the order attached (別紙1, 別紙2, ...); never reused.</summary>
    public int Number { get; set; }

    /// <summary>The latest version, from 1.</summary>
    public int Version { get; set; }
    public DateTime CreatedAt { get; set; }

    /// <summary>When it was taken off the report's list; null while listed.</summary>
    public DateTime? DeletedAt { get; set; }
    public string? DeletedById { get; set; }
    public string? DeletedBy { get; set; }
}

/// <summary>One version of an attachment: the file as uploaded, its SHA-256, who uploaded it and when. Never changed.</summary>
public sealed class AttachmentVersion
{
    public Guid AttachmentId { get; set; }
    public int Version { get; set; }

    /// <summary>The report (repeated from the attachment, so verification reads one table).</summary>
    public Guid ReportId { get; set; }

    /// <summary>The name as the uploader's computer gave it (NFC), Japanese kept.</summary>
    public required string FileName { get; set; }

    /// <summary>The type the content was recognised as (never the one the client claimed).</summary>
    public required string ContentType { get; set; }
    public long Size { get; set; }

    /// <summary>SHA-256 of the bytes, lower-case hex.</summary>
    public required string Sha256 { get; set; }
    public DateTime UploadedAt { get; set; }
    public required string UploadedById { get; set; }
    public required string UploadedBy { get; set; }

    /// <summary>Where <see cref="IAttachmentStore"/> keeps the bytes: the store's own key.</summary>
    public required string StorageKey { get; set; }
}

/// <summary>
/// One row per report that has had a file: how its files are numbered and the bytes it keeps.
/// File changes and journaled actions meet on the report's own row (<see cref="Reports.ProgressReport.FilesStamp"/>).
/// </summary>
public sealed class AttachmentSet
{
    public Guid ReportId { get; set; }

    /// <summary>How many files were ever attached to the report: the last <see cref="Attachment.Number"/> given.</summary>
    public int Attached { get; set; }

    /// <summary>Every stored version's size added up (earlier versions and deleted files included: they are kept).</summary>
    public long StoredBytes { get; set; }
}
