using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// A fiscal year's decision records for the paper file and the archives: a ZIP with one PDF per
/// accepted report (named by measure code) and <c>index.csv</c> (UTF-8 with BOM, for Excel)
/// listing each with its SHA-256 and journal head. Written straight to the output as each PDF is
/// rendered: one PDF in memory at a time, never the whole archive.
/// </summary>
public sealed class RecordExport(ReformDbContext db, DecisionRecords records)
{
    public const string IndexName = "index.csv";

    private static readonly string[] Header =
        ["file", "measure_code", "measure_title", "department", "section", "status", "accepted_at", "version", "attachments", "corrections", "journal_length", "journal_head", "journal_key", "pdf_sha256"];

    /// <summary>Whether the year was opened (a check-in exists); an unopened year has no records to export (404).</summary>
    public Task<bool> YearExistsAsync(int fiscalYear, CancellationToken cancellationToken) =>
        db.CheckIns.AsNoTracking().AnyAsync(c => c.FiscalYear == fiscalYear, cancellationToken);

    public async Task WriteAsync(int fiscalYear, Caller caller, Stream output, CancellationToken cancellationToken)
    {
        var ids = await db.ProgressReports.AsNoTracking()
            .Where(r => r.FiscalYear == fiscalYear && r.Status == RouteDefinition.AcceptedStatus)
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).ToListAsync(cancellationToken);
        var index = new StringBuilder("\uFEFF").AppendJoin(',', Header).Append("\r\n");
        // The archive writes through a spool that the loop drains to the output after each entry:
        // the compressor writes synchronously, which a server's response does not allow.
        var spool = new Spool(output);
        await using (var zip = await ZipArchive.CreateAsync(spool, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken))
        {
            foreach (var id in ids)
            {
                var built = await records.BuildAsync(id, caller, cancellationToken);
                db.ChangeTracker.Clear();
                if (!built.IsOk)
                {
                    continue;
                }

                var file = records.Render(built.Value);
                var record = file.Record;
                var name = $"{record.MeasureCode}.pdf";
                var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
                entry.LastWriteTime = record.AcceptedAt is { } accepted ? new DateTimeOffset(DateTime.SpecifyKind(accepted, DateTimeKind.Utc)) : DateTimeOffset.UnixEpoch;
                await using (var stream = await entry.OpenAsync(cancellationToken))
                {
                    await stream.WriteAsync(file.Pdf, cancellationToken);
                }

                await spool.DrainAsync(cancellationToken);

                index.AppendJoin(',', new[]
                {
                    name, record.MeasureCode, record.MeasureTitle, record.DepartmentName, record.SectionName, record.Status,
                    record.AcceptedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture) : string.Empty,
                    record.Version.ToString(CultureInfo.InvariantCulture), record.Attachments.Count.ToString(CultureInfo.InvariantCulture),
                    record.Corrections.Count.ToString(CultureInfo.InvariantCulture), record.Journal.EntryCount.ToString(CultureInfo.InvariantCulture),
                    record.Journal.HeadHash, record.Journal.KeyId, Convert.ToHexStringLower(SHA256.HashData(file.Pdf)),
                }.Select(CsvTable.Cell)).Append("\r\n");
            }

            var indexEntry = zip.CreateEntry(IndexName, CompressionLevel.Fastest);
            await using var indexStream = await indexEntry.OpenAsync(cancellationToken);
            await indexStream.WriteAsync(Encoding.UTF8.GetBytes(index.ToString()), cancellationToken);
        }

        await spool.DrainAsync(cancellationToken);
        await output.FlushAsync(cancellationToken);
    }
}
