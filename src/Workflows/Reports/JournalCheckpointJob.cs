using System.Globalization;
using System.Text;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Reports;

public sealed record CheckpointView(int Seq, DateTime At, int Reports, long Entries, int AuditEvents, string KeyId, string Mac);

/// <summary>
/// Writes a signed checkpoint of every report's chain head (sorted by report id, with the count
/// of reports and the audit chain's head) to <c>journal_checkpoints</c> and to the log, so that a
/// deleted report or a truncated chain is found by the next verification. The recurring job
/// <see cref="Id"/> runs daily; <c>POST /api/audit/checkpoints</c> runs it on demand.
/// </summary>
public sealed class JournalCheckpointJob(ReformDbContext db, JournalKeys keys, TimeProvider time, ILogger<JournalCheckpointJob> logger)
{
    public const string Id = "journal-checkpoint";

    public async Task RunAsync(CancellationToken cancellationToken) => await WriteAsync(cancellationToken);

    public async Task<CheckpointView> WriteAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var heads = await db.ProgressReports.AsNoTracking().Where(r => r.JournalLength > 0)
                .Select(r => new { r.Id, r.JournalLength, r.JournalHead }).ToListAsync(cancellationToken);
            var text = new StringBuilder();
            foreach (var head in heads.OrderBy(h => h.Id.ToString("N"), StringComparer.Ordinal))
            {
                text.Append(CultureInfo.InvariantCulture, $"{head.Id:N} {head.JournalLength} {head.JournalHead}\n");
            }

            var audit = await db.AuditEvents.AsNoTracking().OrderByDescending(e => e.Seq).Select(e => new { e.Seq, e.Hash }).FirstOrDefaultAsync(cancellationToken);
            var previous = await db.JournalCheckpoints.AsNoTracking().OrderByDescending(c => c.Seq).Select(c => new { c.Seq, c.Mac }).FirstOrDefaultAsync(cancellationToken);
            var heads0 = text.ToString();
            var checkpoint = new JournalCheckpoint
            {
                Seq = (previous?.Seq ?? 0) + 1, At = time.GetUtcNow().UtcDateTime, ReportCount = heads.Count, EntryCount = heads.Sum(h => (long)h.JournalLength),
                Heads = heads0, HeadsHash = Journal.Sha256(heads0), AuditLength = audit?.Seq ?? 0, AuditHead = audit?.Hash ?? string.Empty,
                KeyId = keys.CurrentId, PreviousMac = previous?.Mac ?? string.Empty, Mac = string.Empty,
            };
            checkpoint.Mac = keys.Sign(checkpoint.KeyId, Journal.SignedText(checkpoint));
            db.JournalCheckpoints.Add(checkpoint);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException) when (attempt < 5)
            {
                // Another host wrote the same position at the same moment: take the next one.
                db.ChangeTracker.Clear();
                continue;
            }

            if (logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation(
                    "Journal checkpoint {Seq} at {At:O}: {Reports} reports, {Entries} entries, audit chain {AuditLength}, heads sha256 {HeadsHash}, key {KeyId}, mac {Mac}",
                    checkpoint.Seq, checkpoint.At, checkpoint.ReportCount, checkpoint.EntryCount, checkpoint.AuditLength, checkpoint.HeadsHash, checkpoint.KeyId, checkpoint.Mac);
            }

            return new CheckpointView(checkpoint.Seq, checkpoint.At, checkpoint.ReportCount, checkpoint.EntryCount, checkpoint.AuditLength, checkpoint.KeyId, checkpoint.Mac);
        }
    }
}
