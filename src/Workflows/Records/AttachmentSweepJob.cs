using AomoriReform.Workflows.Persistence;
using Hangfire;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// Daily: deletes stored objects that no attachment version names and that were begun more than a
/// day ago, i.e. what an upload left when its host died halfway (a refused upload deletes its own),
/// and the bytes a disposed record still has (a host that died between the decision and the deletion).
/// </summary>
public sealed class AttachmentSweepJob(ReformDbContext db, IAttachmentStore store, TimeProvider time)
{
    public const string Id = "attachment-sweep";

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var keys = await store.KeysBeganBeforeAsync(time.GetUtcNow().UtcDateTime.AddDays(-1), cancellationToken);
        var swept = 0;
        foreach (var batch in keys.Chunk(500))
        {
            var named = await db.AttachmentVersions.AsNoTracking().Where(v => batch.Contains(v.StorageKey)).Select(v => v.StorageKey).ToListAsync(cancellationToken);
            foreach (var key in batch.Except(named))
            {
                await store.DeleteAsync(key, cancellationToken);
                swept++;
            }
        }

        var disposed = await (from v in db.AttachmentVersions.AsNoTracking()
                              join r in db.ProgressReports.AsNoTracking() on v.ReportId equals r.Id
                              join o in db.StoredObjects.AsNoTracking() on v.StorageKey equals o.Key
                              where r.DisposedAt != null
                              select v.StorageKey).ToListAsync(cancellationToken);
        foreach (var key in disposed)
        {
            await store.DeleteAsync(key, cancellationToken);
            swept++;
        }

        return swept;
    }
}
