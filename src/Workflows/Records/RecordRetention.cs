using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// The records-management state of one decided report beside its retention date (which the report
/// row keeps): when the monthly review listed it as due, a legal hold (訴訟ホールド等による保存),
/// and the transfer package last prepared for the archives. A row exists once any of these happened.
/// </summary>
public sealed class RecordRetention
{
    public Guid ReportId { get; set; }

    /// <summary>When the monthly review (<see cref="RetentionReviewJob"/>) first listed the record as due for a decision.</summary>
    public DateTime? ListedAt { get; set; }

    /// <summary>Why the record must not be disposed of (a lawsuit, an audit, a disclosure request); null when not held.</summary>
    public string? HoldReason { get; set; }
    public DateTime? HeldAt { get; set; }
    public string? HeldBy { get; set; }

    /// <summary>The SHA-256 of the last transfer package (移管) served whole, when, and the journal head it was made at.</summary>
    public string? PackageSha256 { get; set; }
    public DateTime? PackagedAt { get; set; }
    public string? PackagedHead { get; set; }

    /// <summary>Moved by every change: two decisions at the same moment cannot both pass.</summary>
    public int Stamp { get; set; }

    /// <summary>
    /// The record's row, tracked, to change and save: the stored one with its stamp moved, or a new
    /// one added (two claims of a new row at once: the second save fails on the key).
    /// </summary>
    internal static async Task<RecordRetention> ClaimAsync(ReformDbContext db, Guid reportId, CancellationToken cancellationToken)
    {
        var retention = db.RecordRetentions.Local.FirstOrDefault(r => r.ReportId == reportId)
            ?? await db.RecordRetentions.SingleOrDefaultAsync(r => r.ReportId == reportId, cancellationToken);
        if (retention is null)
        {
            retention = new RecordRetention { ReportId = reportId };
            db.RecordRetentions.Add(retention);
        }
        else
        {
            retention.Stamp++;
        }

        return retention;
    }
}

/// <summary>Where a decided record stands in its retention, as the records list and the report show it.</summary>
public static class RetentionStates
{
    /// <summary>Inside its period (or 常用, kept without end).</summary>
    public const string Kept = "kept";

    /// <summary>Its period has ended and no decision has been taken: dispose, extend or transfer.</summary>
    public const string Due = "due";

    /// <summary>A legal hold stops disposal, whatever the period says.</summary>
    public const string Held = "held";

    /// <summary>廃棄: content and files removed, the row and the journal kept as a tombstone.</summary>
    public const string Disposed = "disposed";

    /// <summary>移管: handed to the archives as a package, then removed here like a disposal.</summary>
    public const string Transferred = "transferred";

    public static readonly IReadOnlyList<string> All = [Due, Held, Kept, Disposed, Transferred];
}
