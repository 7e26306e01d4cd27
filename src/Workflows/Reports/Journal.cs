using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

public sealed record JournalVerification(bool Valid, int EntriesChecked, Guid? FirstBadReportId, int? FirstBadSeq, string? Problem);

/// <summary>
/// The hash chain of the approval history. Each report has its own chain (no global lock on
/// appends) and keeps the chain's length and head hash on its own row, which every action
/// updates under the optimistic concurrency token; so an edited, reordered or deleted entry,
/// the newest included, breaks the chain.
/// </summary>
public static class Journal
{
    public static JournalEntry Append(ProgressReport report, DateTime at, string actorId, string actor, string? onBehalfOfId, string? onBehalfOf,
        string action, string? fromStatus, string toStatus, string? comment)
    {
        var entry = new JournalEntry
        {
            ReportId = report.Id, Seq = report.JournalLength + 1, At = at, ActorId = actorId, Actor = actor,
            OnBehalfOfId = onBehalfOfId, OnBehalfOf = onBehalfOf, Action = action, FromStatus = fromStatus, ToStatus = toStatus,
            Comment = comment, PreviousHash = report.JournalHead, Hash = string.Empty,
        };
        entry.Hash = HashOf(entry);
        report.JournalLength = entry.Seq;
        report.JournalHead = entry.Hash;
        return entry;
    }

    public static string HashOf(JournalEntry entry)
    {
        var content = string.Join('\u001f',
            entry.PreviousHash, entry.ReportId.ToString("N"), entry.Seq.ToString(CultureInfo.InvariantCulture),
            entry.At.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
            entry.ActorId, entry.Actor, entry.OnBehalfOfId ?? string.Empty, entry.OnBehalfOf ?? string.Empty, entry.Action,
            entry.FromStatus ?? string.Empty, entry.ToStatus, entry.Comment ?? string.Empty);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
    }

    /// <summary>Walks every chain and compares its end with the report's head; names the first bad entry.</summary>
    public static async Task<JournalVerification> VerifyAsync(ReformDbContext db, CancellationToken cancellationToken)
    {
        var heads = await db.ProgressReports.AsNoTracking()
            .Select(r => new { r.Id, r.JournalLength, r.JournalHead })
            .ToDictionaryAsync(r => r.Id, cancellationToken);
        var checkedCount = 0;
        Guid? current = null;
        var expectedSeq = 1;
        var previous = string.Empty;
        var seen = new HashSet<Guid>();

        JournalVerification Bad(Guid report, int? seq, string problem) => new(false, checkedCount, report, seq, problem);

        JournalVerification? CloseChain()
        {
            if (current is { } id)
            {
                var head = heads.GetValueOrDefault(id);
                if (head is null || head.JournalLength != expectedSeq - 1 || head.JournalHead != previous)
                {
                    return Bad(id, expectedSeq - 1, "the chain does not end where the report says (an entry was deleted or added)");
                }
            }

            return null;
        }

        await foreach (var entry in db.JournalEntries.AsNoTracking().OrderBy(e => e.ReportId).ThenBy(e => e.Seq).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            if (entry.ReportId != current)
            {
                if (CloseChain() is { } bad)
                {
                    return bad;
                }

                current = entry.ReportId;
                seen.Add(entry.ReportId);
                expectedSeq = 1;
                previous = string.Empty;
            }

            checkedCount++;
            if (entry.Seq != expectedSeq)
            {
                return Bad(entry.ReportId, entry.Seq, $"entry {expectedSeq} is missing or out of order");
            }

            if (entry.PreviousHash != previous || HashOf(entry) != entry.Hash)
            {
                return Bad(entry.ReportId, entry.Seq, "the entry's content or its link to the previous entry was altered");
            }

            previous = entry.Hash;
            expectedSeq++;
        }

        if (CloseChain() is { } last)
        {
            return last;
        }

        var emptied = heads.Values.FirstOrDefault(h => h.JournalLength > 0 && !seen.Contains(h.Id));
        return emptied is not null
            ? Bad(emptied.Id, 1, "the report's history was deleted")
            : new JournalVerification(true, checkedCount, null, null, null);
    }
}
