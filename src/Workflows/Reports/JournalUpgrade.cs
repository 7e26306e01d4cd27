using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// Entries written before the journal was keyed carry no key id and a plain SHA-256 chain. At start-up,
/// each such chain that still verifies under the old rule is signed with the current key (trust on first
/// use: what the database held at the upgrade is taken as true; the report's content and version are
/// signed on the last entry). A legacy chain that does not verify is left as it is, so verification
/// keeps naming it.
/// </summary>
public sealed class JournalUpgrade(JournalKeys keys, ILogger<JournalUpgrade> logger) : IStartupTask
{
    public int Order => 6;

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<ReformDbContext>();
        var legacy = await db.JournalEntries.AsNoTracking().Where(e => e.KeyId == string.Empty).Select(e => e.ReportId).Distinct().ToListAsync(cancellationToken);
        var upgraded = 0;
        foreach (var reportId in legacy)
        {
            var report = await db.ProgressReports.SingleAsync(r => r.Id == reportId, cancellationToken);
            var entries = await db.JournalEntries.Where(e => e.ReportId == reportId).OrderBy(e => e.Seq).ToListAsync(cancellationToken);
            var previous = string.Empty;
            var intact = entries.Count == report.JournalLength;
            for (var i = 0; intact && i < entries.Count; i++)
            {
                intact = entries[i].Seq == i + 1 && entries[i].KeyId.Length == 0 && entries[i].PreviousHash == previous && LegacyHash(entries[i]) == entries[i].Hash;
                previous = entries[i].Hash;
            }

            if (!intact || previous != report.JournalHead)
            {
                if (logger.IsEnabled(LogLevel.Warning))
                {
                    logger.LogWarning("Journal of report {ReportId} was written before keyed signing and does not verify under the old rule; left unsigned", reportId);
                }

                db.ChangeTracker.Clear();
                continue;
            }

            previous = string.Empty;
            foreach (var entry in entries)
            {
                entry.KeyId = keys.CurrentId;
                entry.PreviousHash = previous;
                if (entry == entries[^1])
                {
                    entry.ReportVersion = report.Version;
                    entry.ContentHash = Journal.ContentHash(report.Content);
                }

                entry.Hash = keys.Sign(entry.KeyId, Journal.SignedText(entry));
                previous = entry.Hash;
            }

            report.JournalHead = previous;
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                upgraded++;
            }
            catch (DbUpdateConcurrencyException)
            {
                // An action on the report committed meanwhile; the next start tries again.
            }

            db.ChangeTracker.Clear();
        }

        if (upgraded > 0 && logger.IsEnabled(LogLevel.Information))
        {
            logger.LogInformation("Signed the journals of {Count} reports written before keyed signing with key {KeyId}", upgraded, keys.CurrentId);
        }
    }

    /// <summary>The hash of an entry before the journal was keyed.</summary>
    public static string LegacyHash(JournalEntry entry)
    {
        var content = string.Join('\u001f',
            entry.PreviousHash, entry.ReportId.ToString("N"), entry.Seq.ToString(CultureInfo.InvariantCulture),
            entry.At.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
            entry.ActorId, entry.Actor, entry.OnBehalfOfId ?? string.Empty, entry.OnBehalfOf ?? string.Empty, entry.Action,
            entry.FromStatus ?? string.Empty, entry.ToStatus, entry.Comment ?? string.Empty);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }
}
