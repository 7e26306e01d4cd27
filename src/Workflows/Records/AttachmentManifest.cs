using System.Security.Cryptography;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// The attachments as the report's journal sees them (<see cref="IReportAttachments"/>): each
/// journaled action claims the report's <see cref="AttachmentSet"/> in its own unit of work and
/// signs the current list; verification reads every version's recorded SHA-256 and, when asked,
/// recomputes it from the stored bytes.
/// </summary>
public sealed class AttachmentManifest(ReformDbContext db, IAttachmentStore store) : IReportAttachments
{
    private static readonly CompiledQuery<Func<ReformDbContext, Guid, CancellationToken, Task<AttachmentSet?>>> SetOf = new(() =>
        EF.CompileAsyncQuery((ReformDbContext db, Guid reportId, CancellationToken _) => db.AttachmentSets.SingleOrDefault(s => s.ReportId == reportId)));

    public async Task<IReadOnlyList<SignedAttachment>> ClaimAsync(Guid reportId, CancellationToken cancellationToken)
    {
        var set = db.AttachmentSets.Local.FirstOrDefault(s => s.ReportId == reportId)
            ?? await SetOf.For(db)(db, reportId, cancellationToken);
        if (set is null)
        {
            // The first claim: a file uploaded at the same moment inserts the same row, and one of the two fails.
            db.AttachmentSets.Add(new AttachmentSet { ReportId = reportId });
            return [];
        }

        set.Stamp++;
        // Every upload numbers its file from the set (Attached), so a set that never numbered one has no
        // files, and an upload racing this claim changes the stamp this transaction checks.
        return set.Attached == 0 ? [] : await CurrentAsync(reportId, cancellationToken);
    }

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
