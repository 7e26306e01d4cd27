using System.Security.Cryptography;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// The attachments as the report's journal sees them (<see cref="IReportAttachments"/>): each
/// journaled action signs the current list, claimed by the report's own
/// <see cref="ProgressReport.FilesStamp"/>; verification reads every version's recorded SHA-256
/// and, when asked, recomputes it from the stored bytes.
/// </summary>
public sealed class AttachmentManifest(ReformDbContext db, IAttachmentStore store) : IReportAttachments
{
    // Every file change moves the stamp, so a report whose stamp never moved has no files; a change
    // racing the action moves the stamp this unit of work checks.
    public async Task<IReadOnlyList<SignedAttachment>> SignAsync(ProgressReport report, CancellationToken cancellationToken) =>
        report.FilesStamp == 0 ? [] : await CurrentAsync(report.Id, cancellationToken);

    public async Task<AttachmentLedger> LedgerAsync(CancellationToken cancellationToken)
    {
        var versions = await db.AttachmentVersions.AsNoTracking()
            .Select(v => new { v.AttachmentId, v.Version, v.ReportId, v.Sha256 })
            .ToDictionaryAsync(v => (v.AttachmentId, v.Version), v => new StoredAttachment(v.ReportId, v.Sha256), cancellationToken);
        var current = (await (from a in db.Attachments.AsNoTracking()
                              where a.DeletedAt == null
                              join v in db.AttachmentVersions.AsNoTracking() on new { A = a.Id, V = a.Version } equals new { A = v.AttachmentId, V = v.Version }
                              select new { a.ReportId, a.Id, a.Version, v.Sha256 }).ToListAsync(cancellationToken))
            .GroupBy(a => a.ReportId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<SignedAttachment>)g.Select(a => new SignedAttachment(a.Id, a.Version, a.Sha256)).ToList());
        return new AttachmentLedger(versions, current);
    }

    public async Task<string?> RehashAsync(Guid attachmentId, int version, CancellationToken cancellationToken)
    {
        var key = await db.AttachmentVersions.AsNoTracking().Where(v => v.AttachmentId == attachmentId && v.Version == version).Select(v => v.StorageKey).SingleOrDefaultAsync(cancellationToken);
        if (key is null)
        {
            return null;
        }

        try
        {
            await using var content = await store.OpenReadAsync(key, cancellationToken);
            return content is null ? null : Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken));
        }
        catch (InvalidDataException)
        {
            // A chunk is missing or cut short.
            return null;
        }
    }

    private async Task<IReadOnlyList<SignedAttachment>> CurrentAsync(Guid reportId, CancellationToken cancellationToken) =>
        await (from a in db.Attachments.AsNoTracking()
               where a.ReportId == reportId && a.DeletedAt == null
               join v in db.AttachmentVersions.AsNoTracking() on new { A = a.Id, V = a.Version } equals new { A = v.AttachmentId, V = v.Version }
               select new SignedAttachment(a.Id, a.Version, v.Sha256)).ToListAsync(cancellationToken);
}
