using System.Buffers;
using System.Security.Cryptography;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Records;

/// <summary>An attached file (one version of it) as the API shows it.</summary>
public sealed record AttachmentView(Guid Id, string FileName, string ContentType, long Size, string Sha256, int Version, DateTime UploadedAt, string UploadedBy);

/// <summary>A file to download: what it is, and its bytes as a stream read chunk by chunk (the caller disposes it).</summary>
public sealed record AttachmentFile(AttachmentView File, Stream Content);

/// <summary>How much a report's files may take and take now, for the upload form.</summary>
public sealed record AttachmentBudget(long MaxFileBytes, long MaxReportBytes, long StoredBytes);

/// <summary>Attachment settings (<c>Records:*</c>).</summary>
public sealed class AttachmentOptions
{
    /// <summary>The largest file (default 20 MiB).</summary>
    public long MaxFileBytes { get; set; } = 20L << 20;

    /// <summary>What one report's files may take together, earlier versions and deleted files included (default 100 MiB).</summary>
    public long MaxReportBytes { get; set; } = 100L << 20;
}

/// <summary>The titles of the refusals an upload may get, so that the pages can say each in their own words.</summary>
public static class AttachmentProblems
{
    public const string BadName = "The file name is not acceptable";
    public const string Empty = "The file is empty";
    public const string FileTooLarge = "The file is too large";
    public const string ReportFull = "The report's files would exceed their limit";
    public const string UnsupportedType = "Unsupported file type";
    public const string NotUtf8 = "The text is not UTF-8";
    public const string LegacyOffice = "Legacy Office format";
    public const string Macros = "Office file with macros";
    public const string NameMismatch = "The name does not match the content";
}

/// <summary>
/// Evidence attachments (添付資料) of a progress report. Whoever may save the report (the drafting
/// section's staff) attaches, replaces and deletes files while it is editable (Draft, Returned);
/// after that nothing changes (409). Each upload is streamed: its first chunk tells the type, every
/// chunk is hashed and written to the <see cref="IAttachmentStore"/> as it arrives, and the version
/// row that makes the file exist commits last, under the report's attachment claim, after checking
/// that the report is still editable. An upload that fails leaves nothing behind.
/// </summary>
public sealed class Attachments(ReformDbContext db, ReportWorkflow workflow, IAttachmentStore store, TimeProvider time, IOptions<AttachmentOptions> options)
{
    /// <summary>The latest version of each file on the report's list, in the order they were first attached.</summary>
    public async Task<Outcome<IReadOnlyList<AttachmentView>>> ListAsync(Guid reportId, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(reportId, caller, tracking: false, cancellationToken) is null)
        {
            return Outcome.NotFound("No such report.");
        }

        return Outcome.Ok(await CurrentAsync(reportId, cancellationToken));
    }

    /// <summary>The current files of a report the caller was already allowed to see.</summary>
    internal async Task<IReadOnlyList<AttachmentView>> CurrentAsync(Guid reportId, CancellationToken cancellationToken) =>
        await (from a in db.Attachments.AsNoTracking()
               where a.ReportId == reportId && a.DeletedAt == null
               join v in db.AttachmentVersions.AsNoTracking() on new { A = a.Id, V = a.Version } equals new { A = v.AttachmentId, V = v.Version }
               orderby a.Number
               select new AttachmentView(a.Id, v.FileName, v.ContentType, v.Size, v.Sha256, v.Version, v.UploadedAt, v.UploadedBy))
            .ToListAsync(cancellationToken);

    /// <summary>Every version of one file, oldest first (a deleted file's too: they are kept).</summary>
    public async Task<Outcome<IReadOnlyList<AttachmentView>>> VersionsAsync(Guid reportId, Guid attachmentId, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(reportId, caller, tracking: false, cancellationToken) is null)
        {
            return Outcome.NotFound("No such report.");
        }

        var versions = await db.AttachmentVersions.AsNoTracking()
            .Where(v => v.AttachmentId == attachmentId && v.ReportId == reportId)
            .OrderBy(v => v.Version)
            .Select(v => new AttachmentView(v.AttachmentId, v.FileName, v.ContentType, v.Size, v.Sha256, v.Version, v.UploadedAt, v.UploadedBy))
            .ToListAsync(cancellationToken);
        return versions.Count == 0 ? Outcome.NotFound("No such attachment.") : Outcome.Ok<IReadOnlyList<AttachmentView>>(versions);
    }

    /// <summary>
    /// A file's bytes: the latest version of a listed file, or any version named (a deleted file's
    /// versions stay readable by version, as the journal may have signed them).
    /// </summary>
    public async Task<Outcome<AttachmentFile>> OpenAsync(Guid reportId, Guid attachmentId, int? version, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(reportId, caller, tracking: false, cancellationToken) is not { } loaded)
        {
            return Outcome.NotFound("No such report.");
        }

        if (loaded.Report.DisposedAt is not null)
        {
            return Outcome.Gone(DecisionRecords.Disposed);
        }

        var attachment = await db.Attachments.AsNoTracking().SingleOrDefaultAsync(a => a.Id == attachmentId && a.ReportId == reportId, cancellationToken);
        if (attachment is null || (version is null && attachment.DeletedAt is not null))
        {
            return Outcome.NotFound("No such attachment.");
        }

        var wanted = version ?? attachment.Version;
        var row = await db.AttachmentVersions.AsNoTracking().SingleOrDefaultAsync(v => v.AttachmentId == attachmentId && v.Version == wanted, cancellationToken);
        if (row is null)
        {
            return Outcome.NotFound($"The attachment has no version {wanted}.");
        }

        var content = await store.OpenReadAsync(row.StorageKey, cancellationToken);
        return content is null
            ? Outcome.NotFound("The file's bytes are missing from the store.")
            : Outcome.Ok(new AttachmentFile(View(row), content));
    }

    /// <summary>How much the report's files may take, for the form's hint.</summary>
    public async Task<AttachmentBudget> BudgetAsync(Guid reportId, CancellationToken cancellationToken) => new(
        options.Value.MaxFileBytes, options.Value.MaxReportBytes,
        await db.AttachmentSets.AsNoTracking().Where(s => s.ReportId == reportId).Select(s => (long?)s.StoredBytes).SingleOrDefaultAsync(cancellationToken) ?? 0);

    /// <summary>Attaches a new file: 201 with its first version.</summary>
    public Task<Outcome<AttachmentView>> UploadAsync(Guid reportId, string? fileName, Stream content, Caller caller, CancellationToken cancellationToken) =>
        StoreAsync(reportId, null, fileName, content, caller, cancellationToken);

    /// <summary>Replaces a listed file with a new version (the earlier ones are kept).</summary>
    public Task<Outcome<AttachmentView>> ReplaceAsync(Guid reportId, Guid attachmentId, string? fileName, Stream content, Caller caller, CancellationToken cancellationToken) =>
        StoreAsync(reportId, attachmentId, fileName, content, caller, cancellationToken);

    /// <summary>Takes a file off the report's list while it is editable; its versions stay (the journal may have signed them).</summary>
    public async Task<Outcome<Done>> DeleteAsync(Guid reportId, Guid attachmentId, Caller caller, CancellationToken cancellationToken)
    {
        // The report as it is now, tracked: moving its file stamp is the claim (see CommitAsync).
        if (await workflow.LoadAsync(reportId, caller, tracking: true, cancellationToken) is not { } found)
        {
            db.ChangeTracker.Clear();
            return Outcome.NotFound("No such report.");
        }

        var attachment = await db.Attachments.SingleOrDefaultAsync(a => a.Id == attachmentId && a.ReportId == reportId && a.DeletedAt == null, cancellationToken);
        if ((Editable(found.Machine) ?? (attachment is null ? Outcome.NotFound("No such attachment.") : null)) is { } refused)
        {
            db.ChangeTracker.Clear();
            return refused;
        }

        attachment!.DeletedAt = time.GetUtcNow().UtcDateTime;
        attachment.DeletedById = caller.UserId;
        attachment.DeletedBy = caller.Name;
        found.Report.FilesStamp++;
        return await SaveAsync(Outcome.Done, cancellationToken);
    }

    private async Task<Outcome<AttachmentView>> StoreAsync(Guid reportId, Guid? replacing, string? fileName, Stream content, Caller caller, CancellationToken cancellationToken)
    {
        if (AttachmentNames.Problem(fileName, out var name) is { } nameProblem)
        {
            return Outcome.Invalid(new Dictionary<string, string[]> { ["file"] = [nameProblem] }, $"file: {nameProblem}", AttachmentProblems.BadName);
        }

        if (await workflow.LoadAsync(reportId, caller, tracking: false, cancellationToken) is not { } found)
        {
            return Outcome.NotFound("No such report.");
        }

        if (Editable(found.Machine) is { } refused)
        {
            return refused;
        }

        if (replacing is { } listed && !await db.Attachments.AnyAsync(a => a.Id == listed && a.ReportId == reportId && a.DeletedAt == null, cancellationToken))
        {
            return Outcome.NotFound("No such attachment.");
        }

        var budget = await BudgetAsync(reportId, cancellationToken);
        if (budget.StoredBytes >= budget.MaxReportBytes)
        {
            return ReportFull(budget);
        }

        var limit = Math.Min(budget.MaxFileBytes, budget.MaxReportBytes - budget.StoredBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(DatabaseAttachmentStore.ChunkSize);
        IAttachmentUpload? upload = null;
        var kept = false;
        try
        {
            var read = await FillAsync(content, buffer, cancellationToken);
            if (read == 0)
            {
                return Outcome.Invalid(new Dictionary<string, string[]> { ["file"] = ["the file is empty"] }, "file: the file is empty", AttachmentProblems.Empty);
            }

            var extension = FileTypes.Extension(name);
            var signature = FileTypes.Sniff(buffer.AsSpan(0, read));
            var type = signature switch
            {
                FileTypes.Signature.Text => extension == ".csv" ? FileTypes.Csv : FileTypes.Text,
                _ => FileTypes.Of(signature),
            };
            if (EarlyRefusal(signature, type, extension) is { } early)
            {
                return early;
            }

            var text = signature == FileTypes.Signature.Text ? new FileTypes.TextCheck() : null;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            upload = await store.BeginAsync(cancellationToken);
            long size = 0;
            while (read > 0)
            {
                size += read;
                if (size > limit)
                {
                    return size > budget.MaxFileBytes
                        ? Outcome.TooLarge($"The file is larger than {Mebibytes(budget.MaxFileBytes)} (Records:MaxFileBytes).") with { Title = AttachmentProblems.FileTooLarge }
                        : ReportFull(budget);
                }

                var chunk = buffer.AsMemory(0, read);
                hash.AppendData(chunk.Span);
                if (text is not null && !text.Accepts(chunk.Span, final: false))
                {
                    return NotText();
                }

                await upload.AppendAsync(chunk, cancellationToken);
                read = await FillAsync(content, buffer, cancellationToken);
            }

            if (text is not null && !text.Accepts([], final: true))
            {
                return NotText();
            }

            await upload.CompleteAsync(cancellationToken);
            if (signature == FileTypes.Signature.Zip)
            {
                await using var zip = await store.OpenReadAsync(upload.Key, cancellationToken)
                    ?? throw new InvalidOperationException($"The stored object {upload.Key} vanished while it was checked.");
                var (office, problem) = await FileTypes.OfficeAsync(zip, cancellationToken);
                if (office is null)
                {
                    return problem == FileTypes.OfficeProblem.Macros
                        ? Outcome.UnsupportedType("Office files with macros (vbaProject) are not accepted; save without macros (.xlsx, .docx, .pptx).") with { Title = AttachmentProblems.Macros }
                        : Unsupported();
                }

                if (!office.Extensions.Contains(extension))
                {
                    return Mismatch(office);
                }

                type = office;
            }

            var outcome = await CommitAsync(reportId, replacing, name, type!, size, Convert.ToHexStringLower(hash.GetHashAndReset()), upload.Key, caller, cancellationToken);
            kept = outcome.IsOk;
            return outcome;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            if (upload is not null)
            {
                await upload.DisposeAsync();
                if (!kept)
                {
                    await ForgetAsync(upload.Key);
                }
            }
        }
    }

    /// <summary>The version row that makes the file exist, under the report's claim and only if the report is still editable.</summary>
    private async Task<Outcome<AttachmentView>> CommitAsync(
        Guid reportId, Guid? replacing, string name, FileType type, long size, string sha256, string key, Caller caller, CancellationToken cancellationToken)
    {
        // The report as it is now, tracked: the change moves its file stamp, and its version and stamp
        // are concurrency tokens, so an action or another file change that commits after this read
        // makes this SaveChanges fail, and this one committing first makes theirs fail.
        if (await workflow.LoadAsync(reportId, caller, tracking: true, cancellationToken) is not { } found)
        {
            db.ChangeTracker.Clear();
            return Outcome.NotFound("No such report.");
        }

        if (Editable(found.Machine) is { } refused)
        {
            db.ChangeTracker.Clear();
            return refused;
        }

        var set = await SetAsync(reportId, cancellationToken);
        var budget = options.Value;
        if (set.StoredBytes + size > budget.MaxReportBytes)
        {
            db.ChangeTracker.Clear();
            return ReportFull(new AttachmentBudget(budget.MaxFileBytes, budget.MaxReportBytes, set.StoredBytes));
        }

        var now = time.GetUtcNow().UtcDateTime;
        Attachment? attachment;
        if (replacing is { } id)
        {
            attachment = await db.Attachments.SingleOrDefaultAsync(a => a.Id == id && a.ReportId == reportId && a.DeletedAt == null, cancellationToken);
            if (attachment is null)
            {
                db.ChangeTracker.Clear();
                return Outcome.Conflict("The attachment was deleted meanwhile.");
            }

            attachment.Version++;
        }
        else
        {
            attachment = new Attachment { Id = Guid.CreateVersion7(new DateTimeOffset(now)), ReportId = reportId, Number = ++set.Attached, Version = 1, CreatedAt = now };
            db.Attachments.Add(attachment);
        }

        var version = new AttachmentVersion
        {
            AttachmentId = attachment.Id, Version = attachment.Version, ReportId = reportId, FileName = name, ContentType = type.ContentType, Size = size,
            Sha256 = sha256, UploadedAt = now, UploadedById = caller.UserId, UploadedBy = caller.Name, StorageKey = key,
        };
        db.AttachmentVersions.Add(version);
        found.Report.FilesStamp++;
        set.StoredBytes += size;
        return await SaveAsync(Outcome.Ok(View(version)), cancellationToken);
    }

    private async Task<Outcome<T>> SaveAsync<T>(Outcome<T> outcome, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return outcome;
        }
        catch (DbUpdateException)
        {
            // An action on the report, or another change of its files, committed first.
            db.ChangeTracker.Clear();
            return Outcome.Conflict("The report or its files changed at the same moment; reload it.");
        }
    }

    /// <summary>The report's file numbering and stored bytes, tracked (a new row for a report without files yet).</summary>
    private async Task<AttachmentSet> SetAsync(Guid reportId, CancellationToken cancellationToken)
    {
        var set = await db.AttachmentSets.SingleOrDefaultAsync(s => s.ReportId == reportId, cancellationToken);
        if (set is null)
        {
            set = new AttachmentSet { ReportId = reportId };
            db.AttachmentSets.Add(set);
        }

        return set;
    }

    /// <summary>Files change only while the report may be saved, and only by whoever may save it.</summary>
    internal static Failure? Editable(RouteMachine machine) => machine.Check(ReportAction.Save) switch
    {
        null => null,
        Refusal.State => Outcome.Conflict("The report is no longer editable: its files change only while it is a draft or returned, by the drafting section."),
        _ => Outcome.Forbidden("Only the drafting section's staff attach, replace or delete the report's files."),
    };

    private static Failure? EarlyRefusal(FileTypes.Signature signature, FileType? type, string extension) => signature switch
    {
        // A CSV saved by Excel in Shift_JIS (or as UTF-16) is the usual case: say what to do.
        FileTypes.Signature.None when extension is ".csv" or ".txt" => NotText(),
        FileTypes.Signature.None => Unsupported(),
        FileTypes.Signature.LegacyOffice => Outcome.UnsupportedType("Legacy Office files (.xls, .doc, .ppt) are not accepted; save as .xlsx, .docx, .pptx or PDF.") with { Title = AttachmentProblems.LegacyOffice },
        FileTypes.Signature.Zip => new[] { FileTypes.Xlsx, FileTypes.Docx, FileTypes.Pptx }.Any(t => t.Extensions.Contains(extension)) ? null : Unsupported(),
        FileTypes.Signature.Text when extension is not (".csv" or ".txt") => Mismatch(FileTypes.Text),
        _ => type is not null && !type.Extensions.Contains(extension) && signature != FileTypes.Signature.Text ? Mismatch(type) : null,
    };

    private static Failure Unsupported() => Outcome.UnsupportedType(
        "The content is not of an allowed type: PDF, PNG, JPEG, GIF, Excel (.xlsx), Word (.docx), PowerPoint (.pptx), or CSV and text in UTF-8.") with { Title = AttachmentProblems.UnsupportedType };

    private static Failure NotText() => Outcome.UnsupportedType(
        "The text is not UTF-8 (or has NUL bytes); save it as UTF-8 (in Excel: CSV UTF-8).") with { Title = AttachmentProblems.NotUtf8 };

    private static Failure Mismatch(FileType type) => Outcome.UnsupportedType(
        $"The content is {type.Label}, so the name must end with {string.Join(" or ", type.Extensions.Select(e => type == FileTypes.Text ? ".txt or .csv" : e).Distinct())}.") with { Title = AttachmentProblems.NameMismatch };

    private static Failure ReportFull(AttachmentBudget budget) => Outcome.TooLarge(
        $"The report's files would take more than {Mebibytes(budget.MaxReportBytes)} (Records:MaxReportBytes); {Mebibytes(budget.StoredBytes)} are stored, earlier versions included.") with { Title = AttachmentProblems.ReportFull };

    private static string Mebibytes(long bytes) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{bytes / (double)(1 << 20):0.#} MiB");

    private static AttachmentView View(AttachmentVersion v) => new(v.AttachmentId, v.FileName, v.ContentType, v.Size, v.Sha256, v.Version, v.UploadedAt, v.UploadedBy);

    /// <summary>Reads until the buffer is full or the stream ends: every chunk but the last is whole.</summary>
    private static async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < DatabaseAttachmentStore.ChunkSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, DatabaseAttachmentStore.ChunkSize - filled), cancellationToken);
            if (read == 0)
            {
                break;
            }

            filled += read;
        }

        return filled;
    }

    /// <summary>Deletes what a refused upload wrote; if the store cannot now, the sweep will.</summary>
    private async Task ForgetAsync(string key)
    {
        try
        {
            await store.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or DbUpdateException or InvalidOperationException or IOException or TimeoutException)
        {
            // Left for AttachmentSweepJob.
        }
    }
}
