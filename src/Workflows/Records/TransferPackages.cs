using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>A transfer package about to be written: the record it holds and the names to offer it under.</summary>
public sealed record TransferPackagePlan(Guid ReportId, string JournalHead, string FileName, string AsciiFileName);

/// <summary>
/// The package a decided record goes to the archives in (移管): one ZIP with the decision record
/// (<c>decision-record.pdf</c>), every current attached file as uploaded (<c>files/</c>), the whole
/// signed journal (<c>journal.json</c>) and <c>manifest.json</c> naming each file with its SHA-256
/// and the journal's head. Written straight to the output, a file's bytes a chunk at a time; the
/// SHA-256 of the whole package, once served whole, is kept, and the transfer decision writes it into
/// the journal, so the archives can check that what they received is what was decided on.
/// </summary>
public sealed class TransferPackages(ReformDbContext db, DecisionRecords records, Attachments attachments, IAttachmentStore store, TimeProvider time)
{
    public const string PdfName = "decision-record.pdf";
    public const string JournalName = "journal.json";
    public const string ManifestName = "manifest.json";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<Outcome<TransferPackagePlan>> PlanAsync(Guid reportId, Caller caller, CancellationToken cancellationToken)
    {
        if (!RetentionDecisions.MayDecide(caller))
        {
            return Outcome.Forbidden("Only HqAdmin prepares transfer packages.");
        }

        var report = await db.ProgressReports.AsNoTracking().Where(r => r.Id == reportId)
            .Select(r => new { r.Status, r.DisposedAt, r.JournalHead, r.MeasureCode, r.FiscalYear }).SingleOrDefaultAsync(cancellationToken);
        if (report is null)
        {
            return Outcome.NotFound("No such report.");
        }

        if (report.Status != RouteDefinition.AcceptedStatus)
        {
            return Outcome.Conflict("Only a decided (accepted) report is a record that can go to the archives.");
        }

        if (report.DisposedAt is not null)
        {
            return Outcome.Gone("The record's content and files were removed at the end of its retention; only its journal is kept.");
        }

        var year = new Calendar.FiscalYear(report.FiscalYear).ReiwaLabel;
        return Outcome.Ok(new TransferPackagePlan(reportId, report.JournalHead, $"移管_{report.MeasureCode}_{year}.zip",
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"transfer_{report.MeasureCode}_FY{report.FiscalYear}.zip")));
    }

    /// <summary>Writes the package and, once it is written whole, remembers its SHA-256 for the transfer decision; returns it.</summary>
    public async Task<string> WriteAsync(TransferPackagePlan plan, Caller caller, Stream output, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var spool = new Spool(output, hash);
        var files = new List<object>();
        string head;
        await using (var zip = await ZipArchive.CreateAsync(spool, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken))
        {
            var built = await records.BuildAsync(plan.ReportId, caller, cancellationToken);
            var record = built.Value;
            head = record.Journal.HeadHash;
            var stamp = record.AcceptedAt is { } accepted ? new DateTimeOffset(DateTime.SpecifyKind(accepted, DateTimeKind.Utc)) : DateTimeOffset.UnixEpoch;
            var pdf = records.Render(record).Pdf;
            await AddAsync(zip, spool, PdfName, stamp, pdf, cancellationToken);
            files.Add(new { path = PdfName, size = pdf.LongLength, sha256 = Convert.ToHexStringLower(SHA256.HashData(pdf)) });

            var current = await attachments.CurrentAsync(plan.ReportId, cancellationToken);
            var keys = await db.AttachmentVersions.AsNoTracking().Where(v => v.ReportId == plan.ReportId)
                .ToDictionaryAsync(v => (v.AttachmentId, v.Version), v => v.StorageKey, cancellationToken);
            var number = 0;
            foreach (var file in current)
            {
                number++;
                var path = $"files/{number:D2}_{file.FileName}";
                var entry = zip.CreateEntry(path, CompressionLevel.Fastest);
                entry.LastWriteTime = new DateTimeOffset(DateTime.SpecifyKind(file.UploadedAt, DateTimeKind.Utc));
                await using (var content = await store.OpenReadAsync(keys[(file.Id, file.Version)], cancellationToken)
                    ?? throw new InvalidDataException($"The bytes of attached file {file.Id:N} version {file.Version} are missing from the store."))
                await using (var target = await entry.OpenAsync(cancellationToken))
                {
                    var buffer = new byte[DatabaseAttachmentStore.ChunkSize];
                    int read;
                    while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        await spool.DrainAsync(cancellationToken);
                    }
                }

                await spool.DrainAsync(cancellationToken);
                files.Add(new { path, size = file.Size, sha256 = file.Sha256, uploadedBy = file.UploadedBy, uploadedAt = file.UploadedAt, attachmentId = file.Id, version = file.Version });
            }

            var journal = await db.JournalEntries.AsNoTracking().Where(e => e.ReportId == plan.ReportId).OrderBy(e => e.Seq)
                .Select(e => new
                {
                    seq = e.Seq, at = e.At, actor = e.Actor, actorRole = e.ActorRole, actorSection = e.ActorSectionCode, onBehalfOf = e.OnBehalfOf,
                    step = e.StepId, action = e.Action, fromStatus = e.FromStatus, toStatus = e.ToStatus, comment = e.Comment, reportVersion = e.ReportVersion,
                    contentHash = e.ContentHash, attachments = e.Attachments, keyId = e.KeyId, previousHash = e.PreviousHash, hash = e.Hash,
                })
                .ToListAsync(cancellationToken);
            var journalBytes = JsonSerializer.SerializeToUtf8Bytes(journal, Json);
            await AddAsync(zip, spool, JournalName, stamp, journalBytes, cancellationToken);
            files.Add(new { path = JournalName, size = journalBytes.LongLength, sha256 = Convert.ToHexStringLower(SHA256.HashData(journalBytes)) });

            var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(new
            {
                reportId = record.ReportId, measureCode = record.MeasureCode, measureTitle = record.MeasureTitle, fiscalYear = record.FiscalYear,
                department = record.DepartmentName, section = record.SectionName, acceptedAt = record.AcceptedAt, retention = record.RetentionClass,
                journalLength = record.Journal.EntryCount, journalHead = record.Journal.HeadHash, journalKey = record.Journal.KeyId,
                preparedAt = time.GetUtcNow().UtcDateTime, preparedBy = caller.Name, files,
            }, Json);
            await AddAsync(zip, spool, ManifestName, stamp, manifestBytes, cancellationToken);
        }

        await spool.DrainAsync(cancellationToken);
        await output.FlushAsync(cancellationToken);
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());

        var retention = await RecordRetention.ClaimAsync(db, plan.ReportId, cancellationToken);

        (retention.PackageSha256, retention.PackagedAt, retention.PackagedHead) = (sha, time.GetUtcNow().UtcDateTime, head);
        await db.SaveChangesAsync(cancellationToken);
        return sha;
    }

    private static async Task AddAsync(ZipArchive zip, Spool spool, string name, DateTimeOffset stamp, byte[] bytes, CancellationToken cancellationToken)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
        entry.LastWriteTime = stamp;
        await using (var stream = await entry.OpenAsync(cancellationToken))
        {
            await stream.WriteAsync(bytes, cancellationToken);
        }

        await spool.DrainAsync(cancellationToken);
    }
}
