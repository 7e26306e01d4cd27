using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>The result of <c>GET /api/audit/verify</c>: the first bad entry (or report, audit event or checkpoint) when not valid.</summary>
public sealed record JournalVerification(
    bool Valid, int EntriesChecked, Guid? FirstBadReportId, int? FirstBadSeq, string? Problem,
    int AuditEventsChecked = 0, int? FirstBadAuditSeq = null, int? CheckpointSeq = null, DateTime? CheckpointAt = null)
{
    /// <summary>How many attached file versions the entries signed and were found as signed.</summary>
    public int AttachmentsChecked { get; init; }

    /// <summary>Whether each signed version's SHA-256 was recomputed from its stored bytes (<c>?files=true</c>).</summary>
    public bool FilesRehashed { get; init; }
}

/// <summary>
/// The signed chain of the approval history. Each report has its own chain (no global lock on
/// appends) and keeps the chain's length and head on its own row, which every action updates
/// under the optimistic concurrency token. Each entry is an HMAC-SHA256, under a key kept outside
/// the database (<see cref="JournalKeys"/>), of its fields, the report's content hash and version
/// after the action, and the previous entry's HMAC: an edited, reordered or deleted entry, the
/// newest included, breaks the chain, and so does an entry rewritten and re-hashed without the key.
/// </summary>
public static class Journal
{
    /// <summary>
    /// The actions that removed a record's content and files at the end of its retention (廃棄, 移管):
    /// the files an earlier entry signed keep their names and SHA-256, but their bytes are gone, so
    /// the files of a chain with one of these entries are not re-hashed.
    /// </summary>
    public const string DisposeAction = "dispose";
    public const string TransferAction = "transfer";

    /// <summary>
    /// A new entry after the report's last, signed and linked; the report's journal length and head
    /// move to it. With <paramref name="attachments"/> the entry also signs the report's attached
    /// files as they stand (j4).
    /// </summary>
    public static JournalEntry Append(JournalKeys keys, ProgressReport report, DateTime at, string actorId, string actor, string? onBehalfOfId, string? onBehalfOf,
        string action, string? fromStatus, string toStatus, string? comment, JournalPlace? place = null, IReadOnlyList<SignedAttachment>? attachments = null)
    {
        var manifest = attachments is null ? null : Manifest(attachments);
        var entry = new JournalEntry
        {
            ReportId = report.Id, Seq = report.JournalLength + 1, At = at, ActorId = actorId, Actor = actor,
            ActorRole = place?.ActorRole, ActorSectionCode = place?.ActorSectionCode, StepId = place?.StepId,
            OnBehalfOfId = onBehalfOfId, OnBehalfOf = onBehalfOf, Action = action, FromStatus = fromStatus, ToStatus = toStatus,
            Comment = comment, ReportVersion = report.Version, ContentHash = ContentHash(report.Content), KeyId = keys.CurrentId,
            PreviousHash = report.JournalHead, Hash = string.Empty,
            Attachments = manifest, AttachmentsHash = manifest is null ? null : Sha256(manifest),
        };
        entry.Hash = keys.Sign(entry.KeyId, SignedText(entry));
        report.JournalLength = entry.Seq;
        report.JournalHead = entry.Hash;
        return entry;
    }

    /// <summary>SHA-256 of the content exactly as stored (the same JSON serialization).</summary>
    public static string ContentHash(ReportContent content) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(content, ReportContent.Json))));

    /// <summary>
    /// The attached files as an entry signs them: "{attachment id} {version} {sha256}" per file,
    /// sorted (ordinal), one per line; the empty string for none.
    /// </summary>
    public static string Manifest(IEnumerable<SignedAttachment> attachments) => string.Join('\n', attachments
        .Select(a => string.Create(CultureInfo.InvariantCulture, $"{a.AttachmentId:N} {a.Version} {a.Sha256}"))
        .Order(StringComparer.Ordinal));

    /// <summary>The files a manifest lists; null when a line is malformed.</summary>
    public static IReadOnlyList<SignedAttachment>? ParseManifest(string manifest)
    {
        var files = new List<SignedAttachment>();
        foreach (var line in manifest.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 3 || !Guid.TryParseExact(parts[0], "N", out var id)
                || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var version) || parts[2].Length != 64)
            {
                return null;
            }

            files.Add(new SignedAttachment(id, version, parts[2]));
        }

        return files;
    }

    /// <summary>
    /// What an entry's HMAC covers, fields separated by U+001F. Entries that name their step and the
    /// actor's role and section (j3) sign those too; emptying them to pass as j2 breaks the HMAC.
    /// Entries that sign the report's attached files (j4) add the SHA-256 of their list; removing it
    /// to pass as j3 breaks the HMAC too, as the version tag is signed.
    /// </summary>
    public static string SignedText(JournalEntry entry)
    {
        // j4 = j3's fields and the attachments' hash; j3 = j2's fields and the step and place. Built as one
        // string (the versions once nested, each slicing and joining the one before). JournalSignedTextTests
        // pins the text of each version.
        string[] j2 =
        [
            "j2", entry.KeyId, entry.PreviousHash, entry.ReportId.ToString("N"), entry.Seq.ToString(CultureInfo.InvariantCulture), Instant(entry.At),
            entry.ActorId, entry.Actor, entry.OnBehalfOfId ?? string.Empty, entry.OnBehalfOf ?? string.Empty, entry.Action,
            entry.FromStatus ?? string.Empty, entry.ToStatus, entry.Comment ?? string.Empty,
            entry.ReportVersion.ToString(CultureInfo.InvariantCulture), entry.ContentHash,
        ];
        if (entry.AttachmentsHash is null && entry.StepId is null && entry.ActorRole is null && entry.ActorSectionCode is null)
        {
            return string.Join('\u001f', j2);
        }

        j2[0] = entry.AttachmentsHash is null ? "j3" : "j4";
        string[] place = [entry.StepId ?? string.Empty, entry.ActorRole ?? string.Empty, entry.ActorSectionCode ?? string.Empty];
        return entry.AttachmentsHash is { } attachments
            ? string.Join('\u001f', [.. j2, .. place, attachments])
            : string.Join('\u001f', [.. j2, .. place]);
    }

    public static string SignedText(AuditEvent e) => string.Join('\u001f',
        "a1", e.KeyId, e.PreviousHash, e.Seq.ToString(CultureInfo.InvariantCulture), Instant(e.At), e.ActorId, e.Actor, e.Kind, e.Subject, e.Details);

    public static string SignedText(JournalCheckpoint c) => string.Join('\u001f',
        "c1", c.KeyId, c.PreviousMac, c.Seq.ToString(CultureInfo.InvariantCulture), Instant(c.At), c.ReportCount.ToString(CultureInfo.InvariantCulture),
        c.EntryCount.ToString(CultureInfo.InvariantCulture), c.HeadsHash, c.AuditLength.ToString(CultureInfo.InvariantCulture), c.AuditHead);

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Instant(DateTime at) => at.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);

    /// <summary>The chains, the audit chain and the checkpoints, without the attached files (see the other overload).</summary>
    public static Task<JournalVerification> VerifyAsync(ReformDbContext db, JournalKeys keys, CancellationToken cancellationToken) =>
        VerifyAsync(db, keys, null, rehashFiles: false, cancellationToken);

    /// <summary>
    /// Walks every chain and compares its end with the report row (head, length, status, and the
    /// content and version where the report cannot have been edited since), then the audit chain,
    /// then the checkpoints; names the first problem. With <paramref name="attachments"/>, every
    /// file version an entry signed must still be stored with the same SHA-256 under the same
    /// report, and a report that can no longer be edited must have exactly the files its last
    /// signing entry listed. With <paramref name="rehashFiles"/>, each signed version's SHA-256 is
    /// also recomputed from its stored bytes (reads every file: slow on a large store).
    /// </summary>
    public static async Task<JournalVerification> VerifyAsync(
        ReformDbContext db, JournalKeys keys, IReportAttachments? attachments, bool rehashFiles, CancellationToken cancellationToken)
    {
        var ledger = attachments is null ? null : await attachments.LedgerAsync(cancellationToken);
        // Each signed version, with the report and the first entry that signed it.
        var signedFiles = new Dictionary<(Guid, int), (Guid ReportId, int Seq, string Sha256)>();
        string? lastManifest = null;
        var heads = await db.ProgressReports.AsNoTracking()
            .Select(r => new { r.Id, r.JournalLength, r.JournalHead, r.Status, r.Version, r.Content, r.RouteName, r.RouteVersion })
            .ToDictionaryAsync(r => r.Id, cancellationToken);
        // Content changes without a journal entry only by saving a draft (Draft or Returned).
        var draftStatuses = (await db.WorkflowDefinitions.AsNoTracking().ToListAsync(cancellationToken))
            .ToDictionary(d => (d.Name, d.Version), d => RouteDefinition.FromJson(d.Definition).First.Status);
        var checkpoints = await db.JournalCheckpoints.AsNoTracking().OrderBy(c => c.Seq)
            .Select(c => new { c.Id, c.Seq, c.At, c.ReportCount, c.EntryCount, c.HeadsHash, c.AuditLength, c.AuditHead, c.KeyId, c.PreviousMac, c.Mac })
            .ToListAsync(cancellationToken);
        var latest = checkpoints.LastOrDefault();
        var listed = new Dictionary<Guid, (int Length, string Head)>();
        if (latest is not null)
        {
            var text = await db.JournalCheckpoints.AsNoTracking().Where(c => c.Id == latest.Id).Select(c => c.Heads).SingleAsync(cancellationToken);
            if (Sha256(text) != latest.HeadsHash)
            {
                return new(false, 0, null, null, $"journal checkpoint {latest.Seq}'s list of chain heads was altered", CheckpointSeq: latest.Seq, CheckpointAt: latest.At);
            }

            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                listed[Guid.ParseExact(parts[0], "N")] = (int.Parse(parts[1], CultureInfo.InvariantCulture), parts[2]);
            }
        }

        var checkedCount = 0;
        Guid? current = null;
        JournalEntry? last = null;
        var expectedSeq = 1;
        var previous = string.Empty;
        var seen = new HashSet<Guid>();
        var removed = new HashSet<Guid>();
        var reachedCheckpoint = new HashSet<Guid>();

        JournalVerification Bad(Guid report, int? seq, string problem) => new(false, checkedCount, report, seq, problem, CheckpointSeq: latest?.Seq, CheckpointAt: latest?.At);

        JournalVerification? CloseChain()
        {
            if (current is not { } id)
            {
                return null;
            }

            var head = heads.GetValueOrDefault(id);
            if (head is null || head.JournalLength != expectedSeq - 1 || head.JournalHead != previous)
            {
                return Bad(id, expectedSeq - 1, "the chain does not end where the report says (an entry was deleted or added)");
            }

            if (head.Status != last!.ToStatus)
            {
                return Bad(id, last.Seq, $"the report is {head.Status} but its last entry left it {last.ToStatus}");
            }

            var editable = head.Status == RouteDefinition.ReturnedStatus || draftStatuses.GetValueOrDefault((head.RouteName, head.RouteVersion)) == head.Status;
            if (!editable && (ContentHash(head.Content) != last.ContentHash || head.Version != last.ReportVersion))
            {
                return Bad(id, last.Seq, "the report's content or version differs from what its last entry signed");
            }

            if (head.Version < last.ReportVersion)
            {
                return Bad(id, last.Seq, "the report's version is older than its last entry's");
            }

            // Files change only while the report is editable, and each action signs the list as it stands.
            if (!editable && ledger is not null
                && Manifest(ledger.Current.GetValueOrDefault(id) ?? []) != (lastManifest ?? string.Empty))
            {
                return Bad(id, last.Seq, "the report's attached files differ from what its last signing entry listed (a file was added, replaced or removed after the decision)");
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
                lastManifest = null;
            }

            checkedCount++;
            if (entry.Seq != expectedSeq)
            {
                return Bad(entry.ReportId, entry.Seq, $"entry {expectedSeq} is missing or out of order");
            }

            if (!keys.Knows(entry.KeyId))
            {
                return Bad(entry.ReportId, entry.Seq, $"the entry is signed with key '{entry.KeyId}', which this host does not have (configure it under Journal:Keys)");
            }

            if (entry.PreviousHash != previous || !keys.Verify(entry.KeyId, SignedText(entry), entry.Hash))
            {
                return Bad(entry.ReportId, entry.Seq, "the entry's content or its link to the previous entry was altered");
            }

            if (listed.TryGetValue(entry.ReportId, out var mark) && mark.Length == entry.Seq)
            {
                if (mark.Head != entry.Hash)
                {
                    return Bad(entry.ReportId, entry.Seq, $"the entry differs from the one journal checkpoint {latest!.Seq} recorded");
                }

                reachedCheckpoint.Add(entry.ReportId);
            }

            if (entry.AttachmentsHash is not null)
            {
                if (entry.Attachments is null || Sha256(entry.Attachments) != entry.AttachmentsHash || ParseManifest(entry.Attachments) is not { } files)
                {
                    return Bad(entry.ReportId, entry.Seq, "the entry's list of attached files was altered");
                }

                foreach (var file in files)
                {
                    if (ledger is null)
                    {
                        break;
                    }

                    if (!ledger.Versions.TryGetValue((file.AttachmentId, file.Version), out var stored))
                    {
                        return Bad(entry.ReportId, entry.Seq, $"attached file {file.AttachmentId:N} version {file.Version}, which this entry signed, was deleted");
                    }

                    if (stored.ReportId != entry.ReportId || stored.Sha256 != file.Sha256)
                    {
                        return Bad(entry.ReportId, entry.Seq, $"attached file {file.AttachmentId:N} version {file.Version} differs from what this entry signed (the file was swapped)");
                    }

                    signedFiles.TryAdd((file.AttachmentId, file.Version), (entry.ReportId, entry.Seq, file.Sha256));
                }

                lastManifest = entry.Attachments;
            }

            if (entry.Action is DisposeAction or TransferAction)
            {
                removed.Add(entry.ReportId);
            }

            previous = entry.Hash;
            last = entry;
            expectedSeq++;
        }

        if (CloseChain() is { } final)
        {
            return final;
        }

        // The bytes themselves, when asked: a swap that left the recorded SHA-256 alone.
        if (rehashFiles && attachments is not null)
        {
            foreach (var ((attachmentId, version), signed) in signedFiles.Where(f => !removed.Contains(f.Value.ReportId)))
            {
                if (await attachments.RehashAsync(attachmentId, version, cancellationToken) != signed.Sha256)
                {
                    return Bad(signed.ReportId, signed.Seq, $"the stored bytes of attached file {attachmentId:N} version {version} do not match the SHA-256 the entry signed (the file was swapped or damaged)");
                }
            }
        }

        var emptied = heads.Values.FirstOrDefault(h => h.JournalLength > 0 && !seen.Contains(h.Id));
        if (emptied is not null)
        {
            return Bad(emptied.Id, 1, "the report's history was deleted");
        }

        var lost = listed.Keys.FirstOrDefault(id => !reachedCheckpoint.Contains(id));
        if (latest is not null && (lost != Guid.Empty || listed.Count != latest.ReportCount))
        {
            return Bad(lost, listed.GetValueOrDefault(lost).Length,
                heads.ContainsKey(lost) ? $"the chain is shorter than journal checkpoint {latest.Seq} recorded (entries were removed)" : $"a report journal checkpoint {latest.Seq} listed was deleted");
        }

        // The audit chain (deputy appointments and their ends).
        var auditChecked = 0;
        var auditPrevious = string.Empty;
        var auditSeq = 1;
        var auditHeadAtCheckpoint = (string?)null;
        JournalVerification BadAudit(int seq, string problem) => new(false, checkedCount, null, null, problem, auditChecked, seq, latest?.Seq, latest?.At);
        await foreach (var e in db.AuditEvents.AsNoTracking().OrderBy(e => e.Seq).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            auditChecked++;
            if (e.Seq != auditSeq)
            {
                return BadAudit(e.Seq, $"audit event {auditSeq} is missing or out of order");
            }

            if (e.PreviousHash != auditPrevious || !keys.Verify(e.KeyId, SignedText(e), e.Hash))
            {
                return BadAudit(e.Seq, keys.Knows(e.KeyId) ? "the audit event or its link to the previous one was altered" : $"the audit event is signed with unknown key '{e.KeyId}'");
            }

            if (latest is not null && e.Seq == latest.AuditLength)
            {
                auditHeadAtCheckpoint = e.Hash;
            }

            auditPrevious = e.Hash;
            auditSeq++;
        }

        if (latest is not null && latest.AuditLength > 0 && auditHeadAtCheckpoint != latest.AuditHead)
        {
            return BadAudit(latest.AuditLength, $"the audit chain differs from what journal checkpoint {latest.Seq} recorded (events were removed or replaced)");
        }

        // The checkpoints themselves: consecutive, linked, signed.
        var previousMac = string.Empty;
        for (var i = 0; i < checkpoints.Count; i++)
        {
            var c = checkpoints[i];
            var signed = new JournalCheckpoint
            {
                Seq = c.Seq, At = c.At, ReportCount = c.ReportCount, EntryCount = c.EntryCount, Heads = string.Empty, HeadsHash = c.HeadsHash,
                AuditLength = c.AuditLength, AuditHead = c.AuditHead, KeyId = c.KeyId, PreviousMac = c.PreviousMac, Mac = c.Mac,
            };
            if (c.Seq != i + 1 || c.PreviousMac != previousMac || !keys.Verify(c.KeyId, SignedText(signed), c.Mac))
            {
                return new(false, checkedCount, null, null, $"journal checkpoint {c.Seq} is missing, out of order, altered or signed with an unknown key", auditChecked, null, c.Seq, c.At);
            }

            previousMac = c.Mac;
        }

        return new JournalVerification(true, checkedCount, null, null, null, auditChecked, null, latest?.Seq, latest?.At)
        {
            AttachmentsChecked = signedFiles.Count, FilesRehashed = rehashFiles && attachments is not null,
        };
    }
}

/// <summary>The audit chain: a change and the signed event recording it commit in one SaveChanges.</summary>
public static class AuditTrail
{
    private static readonly JsonSerializerOptions DetailsJson = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Applies <paramref name="change"/> and appends the event after the chain's last one, then saves
    /// both. Two appends racing for the same position: the unique sequence stops one, which retries.
    /// </summary>
    public static async Task SaveWithAsync(ReformDbContext db, JournalKeys keys, DateTime at, string actorId, string actor, string kind, string subject, object details,
        Action change, CancellationToken cancellationToken)
    {
        change();
        var text = JsonSerializer.Serialize(details, DetailsJson);
        for (var attempt = 1; ; attempt++)
        {
            var last = await db.AuditEvents.AsNoTracking().OrderByDescending(e => e.Seq).Select(e => new { e.Seq, e.Hash }).FirstOrDefaultAsync(cancellationToken);
            var entry = new AuditEvent
            {
                Seq = (last?.Seq ?? 0) + 1, At = at, ActorId = actorId, Actor = actor, Kind = kind, Subject = subject, Details = text,
                KeyId = keys.CurrentId, PreviousHash = last?.Hash ?? string.Empty, Hash = string.Empty,
            };
            entry.Hash = keys.Sign(entry.KeyId, Journal.SignedText(entry));
            db.AuditEvents.Add(entry);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException) when (attempt < 10)
            {
                db.Entry(entry).State = EntityState.Detached;
            }
        }
    }
}
