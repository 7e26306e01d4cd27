using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Records;

/// <summary>A decided record and where it stands in its retention (保存期間).</summary>
public sealed record RetentionItem(
    Guid ReportId, string MeasureCode, string MeasureTitle, int FiscalYear, string SectionCode, string? RetentionClass, DateOnly? RetentionUntil,
    string State, DateTime? AcceptedAt)
{
    /// <summary>When the monthly review listed it as due.</summary>
    public DateTime? ListedAt { get; init; }

    /// <summary>The legal hold, when one stops disposal: why, since when, by whom.</summary>
    public string? HoldReason { get; init; }
    public DateTime? HeldAt { get; init; }
    public string? HeldBy { get; init; }

    /// <summary>When its content and files were removed (廃棄 or 移管).</summary>
    public DateTime? DisposedAt { get; init; }

    /// <summary>The last transfer package served whole (移管): its SHA-256 and when; null when none was made at the record's current journal head.</summary>
    public string? PackageSha256 { get; init; }
    public DateTime? PackagedAt { get; init; }
}

/// <summary>What a retention decision carries: the reason (required for a hold and an extension) and, for an extension, how many years.</summary>
public sealed record RetentionDecision(string? Reason, int? Years = null);

/// <summary>
/// 保存期間の管理: HqAdmin's decisions on a decided report once its retention period has run, and
/// the legal hold. Nothing is removed without a decision: <c>dispose</c> (廃棄) and <c>transfer</c>
/// (移管, after the package for the archives was prepared) are refused before the period ends and
/// while a hold stands. Both remove the content, the earlier rounds' snapshots and the files' bytes
/// and keep the report row, the files' names and SHA-256 and the whole journal as a tombstone, so
/// the audit verification still holds; <c>extend</c> (延長) moves the period's end by whole years
/// with a reason. Every decision is an entry of the report's signed journal.
/// </summary>
public sealed class RetentionDecisions(
    ReformDbContext db, IAttachmentStore store, TimeProvider time, JournalKeys keys, ILogger<RetentionDecisions> logger)
{
    public const string HoldAction = "legalHold";
    public const string ReleaseAction = "legalHoldRelease";
    public const string ExtendAction = "retentionExtend";
    public const string DisposeAction = Journal.DisposeAction;
    public const string TransferAction = Journal.TransferAction;
    public const int MaxReasonLength = 1000;
    public const int MaxExtensionYears = 30;

    /// <summary>The decisions, as the API's paths name them.</summary>
    public static readonly IReadOnlyList<string> Decisions = ["hold", "release", "extend", "dispose", "transfer"];

    /// <summary>The journal actions of retention decisions (a report's history shows them; the approval record does not).</summary>
    public static readonly string[] Actions = [HoldAction, ReleaseAction, ExtendAction, DisposeAction, TransferAction];

    public static bool MayRead(Caller caller) => caller.Role is Role.HqReviewer or Role.HqAdmin or Role.Auditor;

    public static bool MayDecide(Caller caller) => caller.Role == Role.HqAdmin;

    /// <summary>Today in Japan: a period "until 31 March" has ended from 1 April.</summary>
    public DateOnly Today => FiscalYear.JapanDate(time.GetUtcNow());

    /// <summary>The decided records in one state (default <c>due</c>), the earliest end of period first.</summary>
    public async Task<Outcome<Page<RetentionItem>>> ListAsync(string? state, int? fiscalYear, Paging paging, Caller caller, CancellationToken cancellationToken)
    {
        state ??= RetentionStates.Due;
        if (!RetentionStates.All.Contains(state))
        {
            return Outcome.Invalid("state", $"one of {string.Join(", ", RetentionStates.All)}");
        }

        if (fiscalYear is < 2000 or > 2099)
        {
            return Outcome.Invalid("fiscalYear", "a fiscal year from 2000 to 2099");
        }

        if (!MayRead(caller))
        {
            return Outcome.Forbidden("Only headquarters (HqReviewer, HqAdmin) and auditors see the records' retention.");
        }

        var today = Today;
        var rows = Rows().Where(x => x.Report.Status == RouteDefinition.AcceptedStatus);
        if (fiscalYear is { } year)
        {
            rows = rows.Where(x => x.Report.FiscalYear == year);
        }

        rows = state switch
        {
            RetentionStates.Due => rows.Where(x => x.Report.DisposedAt == null && x.Report.RetentionUntil < today && (x.Retention == null || x.Retention.HoldReason == null)),
            RetentionStates.Held => rows.Where(x => x.Report.DisposedAt == null && x.Retention != null && x.Retention.HoldReason != null),
            RetentionStates.Kept => rows.Where(x => x.Report.DisposedAt == null && (x.Report.RetentionUntil == null || x.Report.RetentionUntil >= today)
                && (x.Retention == null || x.Retention.HoldReason == null)),
            RetentionStates.Disposed => rows.Where(x => x.Report.Disposition == RetentionStates.Disposed),
            _ => rows.Where(x => x.Report.Disposition == RetentionStates.Transferred),
        };

        var total = await rows.CountAsync(cancellationToken);
        var page = await rows
            .OrderBy(x => x.Report.RetentionUntil == null).ThenBy(x => x.Report.RetentionUntil).ThenBy(x => x.Report.FiscalYear).ThenBy(x => x.Report.MeasureCode)
            .Skip(paging.Skip).Take(paging.Size)
            .ToListAsync(cancellationToken);
        return Outcome.Ok(new Page<RetentionItem>(page.Select(x => Item(x, today)).ToList(), total));
    }

    /// <summary>One decided record's retention.</summary>
    public async Task<Outcome<RetentionItem>> GetAsync(Guid reportId, Caller caller, CancellationToken cancellationToken)
    {
        if (!MayRead(caller))
        {
            return Outcome.Forbidden("Only headquarters (HqReviewer, HqAdmin) and auditors see the records' retention.");
        }

        var row = await Rows().SingleOrDefaultAsync(x => x.Report.Id == reportId, cancellationToken);
        if (row is null)
        {
            return Outcome.NotFound("No such report.");
        }

        return row.Report.Status != RouteDefinition.AcceptedStatus
            ? Outcome.NotFound("The report has not been decided (accepted): it is not yet a record with a retention period.")
            : Outcome.Ok(Item(row, Today));
    }

    /// <summary>The record's retention decisions from its journal, oldest first.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> DecisionsOfAsync(Guid reportId, CancellationToken cancellationToken) =>
        await db.JournalEntries.AsNoTracking()
            .Where(e => e.ReportId == reportId && Actions.Contains(e.Action))
            .OrderBy(e => e.Seq)
            .Select(e => new HistoryEntry(e.Seq, e.At, e.Actor, e.OnBehalfOf, e.Action, e.FromStatus, e.ToStatus, e.Comment))
            .ToListAsync(cancellationToken);

    /// <summary>Takes one decision (<see cref="Decisions"/>) on a decided record; each is journaled.</summary>
    public async Task<Outcome<RetentionItem>> DecideAsync(Guid reportId, string decision, RetentionDecision request, Caller caller, CancellationToken cancellationToken)
    {
        if (!Decisions.Contains(decision))
        {
            return Outcome.NotFound($"No such decision; one of {string.Join(", ", Decisions)}.");
        }

        var reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
        if (reason is null && decision is "hold" or "extend")
        {
            return Outcome.Invalid("reason", decision == "hold" ? "required: why the record must be kept (a lawsuit, an audit, a disclosure request)" : "required: why the record is kept longer");
        }

        if (reason is not null && (reason.Length > MaxReasonLength || ReportWorkflow.CommentProblem(reason) is not null))
        {
            return Outcome.Invalid("reason", ReportWorkflow.CommentProblem(reason) ?? $"at most {MaxReasonLength} characters");
        }

        if (decision == "extend" && request.Years is not (>= 1 and <= MaxExtensionYears))
        {
            return Outcome.Invalid("years", $"required: whole years from 1 to {MaxExtensionYears}");
        }

        if (!MayDecide(caller))
        {
            return Outcome.Forbidden("Only HqAdmin decides on records' retention.");
        }

        var report = await db.ProgressReports.SingleOrDefaultAsync(r => r.Id == reportId, cancellationToken);
        if (report is null)
        {
            return Outcome.NotFound("No such report.");
        }

        if (report.Status != RouteDefinition.AcceptedStatus)
        {
            return Outcome.Conflict("Only a decided (accepted) report is a record with a retention period.");
        }

        if (report.DisposedAt is { } disposedAt)
        {
            return Outcome.Conflict($"The record was already {(report.Disposition == RetentionStates.Transferred ? "transferred to the archives" : "disposed of")} on {JapanDay(disposedAt):yyyy-MM-dd}.");
        }

        var retention = await RecordRetention.ClaimAsync(db, reportId, cancellationToken);

        var now = time.GetUtcNow().UtcDateTime;
        var today = Today;
        string action;
        string? comment;
        IReadOnlyList<SignedAttachment>? signed = null;
        List<string> purge = [];
        switch (decision)
        {
            case "hold":
                if (retention.HoldReason is not null)
                {
                    return Refuse("The record is already under a legal hold.");
                }

                (retention.HoldReason, retention.HeldAt, retention.HeldBy) = (reason, now, caller.Name);
                (action, comment) = (HoldAction, reason);
                break;
            case "release":
                if (retention.HoldReason is null)
                {
                    return Refuse("The record is not under a legal hold.");
                }

                (retention.HoldReason, retention.HeldAt, retention.HeldBy) = (null, null, null);
                (action, comment) = (ReleaseAction, reason);
                break;
            case "extend":
                if (report.RetentionUntil is not { } until)
                {
                    return Refuse("The record has no end of period to extend (常用, kept without end, or no retention class).");
                }

                var extended = new DateOnly(until.Year + request.Years!.Value, 3, 31);
                report.RetentionUntil = extended;
                retention.ListedAt = null;
                (action, comment) = (ExtendAction, $"{JapaneseDates.Date(extended)}まで{request.Years}年延長。理由：{reason}");
                break;
            default:
                if (retention.HoldReason is { } hold)
                {
                    return Refuse($"A legal hold stops disposal: {hold}");
                }

                if (report.RetentionUntil is not { } end)
                {
                    return Refuse("The record has no end of period (常用, kept without end, or no retention class): it is never disposed of.");
                }

                if (end >= today)
                {
                    return Refuse($"The retention period runs until {end:yyyy-MM-dd}; a decision is possible from the day after.");
                }

                if (decision == "transfer" && (retention.PackageSha256 is null || retention.PackagedHead != report.JournalHead))
                {
                    return Refuse("Prepare the transfer package first (GET /api/reports/{id}/retention/package); it must be made after the record's last journal entry.");
                }

                (signed, purge) = await RemoveContentAsync(report, caller, now, cancellationToken);
                report.Disposition = decision == "transfer" ? RetentionStates.Transferred : RetentionStates.Disposed;
                action = decision == "transfer" ? TransferAction : DisposeAction;
                comment = decision == "transfer"
                    ? $"移管パッケージ SHA-256 {retention.PackageSha256}" + (reason is null ? string.Empty : $"。{reason}")
                    : reason ?? "保存期間満了により廃棄";
                break;
        }

        report.UpdatedAt = now;
        db.JournalEntries.Add(Journal.Append(keys, report, now, caller.UserId, caller.Name, null, null, action, report.Status, report.Status, comment,
            new JournalPlace(report.StepId, caller.Role.ToString(), caller.SectionCode), signed));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return Outcome.Conflict("The record changed at the same moment; reload it and decide again.");
        }

        db.ChangeTracker.Clear();
        await PurgeAsync(purge, cancellationToken);
        return await GetAsync(reportId, caller, cancellationToken);

        Failure Refuse(string detail)
        {
            db.ChangeTracker.Clear();
            return Outcome.Conflict(detail);
        }
    }

    /// <summary>
    /// Empties the record in the tracked context: the content (the version moves on, so the entry that
    /// follows signs the empty content), the earlier rounds' snapshots, the replies kept for idempotent
    /// retries that name it, and the files from its list.
    /// Returns the (empty) file list the entry signs and the stored objects to delete after the commit.
    /// </summary>
    private async Task<(IReadOnlyList<SignedAttachment> Signed, List<string> Purge)> RemoveContentAsync(
        ProgressReport report, Caller caller, DateTime now, CancellationToken cancellationToken)
    {
        var listed = await db.Attachments.Where(a => a.ReportId == report.Id && a.DeletedAt == null).ToListAsync(cancellationToken);
        foreach (var attachment in listed)
        {
            (attachment.DeletedAt, attachment.DeletedById, attachment.DeletedBy) = (now, caller.UserId, caller.Name);
        }

        // The list changes, so its stamp moves; the version moving below stops any upload slipping in
        // between (none can after acceptance anyway).
        if (listed.Count > 0)
        {
            report.FilesStamp++;
        }

        db.ReportSubmissions.RemoveRange(await db.ReportSubmissions.Where(s => s.ReportId == report.Id).ToListAsync(cancellationToken));
        // Replies kept for idempotent retries hold the report as it was answered, content included.
        var id = report.Id.ToString("D");
        db.IdempotencyRecords.RemoveRange(await db.IdempotencyRecords.Where(r => r.Response.Contains(id)).ToListAsync(cancellationToken));
        report.Content = ReportContent.Empty;
        report.Version++;
        report.DisposedAt = now;
        var purge = await db.AttachmentVersions.AsNoTracking().Where(v => v.ReportId == report.Id).Select(v => v.StorageKey).ToListAsync(cancellationToken);
        return ([], purge);
    }

    /// <summary>
    /// Deletes the stored bytes of a disposed record's files. A failure is left to the daily sweep
    /// (<see cref="AttachmentSweepJob"/>), which deletes whatever bytes a disposed record still has.
    /// </summary>
    internal async Task PurgeAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        foreach (var key in keys)
        {
            try
            {
                await store.DeleteAsync(key, cancellationToken);
            }
            catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException or IOException)
            {
                logger.LogWarning(e, "Could not delete stored object {Key} of a disposed record; the daily sweep will.", key);
            }
        }
    }

    private IQueryable<Row> Rows() =>
        from r in db.ProgressReports.AsNoTracking()
        join m in db.Measures.AsNoTracking() on r.MeasureId equals m.Id
        join rr in db.RecordRetentions.AsNoTracking() on r.Id equals rr.ReportId into retained
        from rr in retained.DefaultIfEmpty()
        select new Row { Report = r, Title = m.Title, Retention = rr };

    private static RetentionItem Item(Row row, DateOnly today)
    {
        var (r, rr) = (row.Report, row.Retention);
        var state = r.Disposition is { } disposition ? disposition
            : rr?.HoldReason is not null ? RetentionStates.Held
            : r.RetentionUntil is { } until && until < today ? RetentionStates.Due
            : RetentionStates.Kept;
        var packaged = rr?.PackageSha256 is not null && rr.PackagedHead == r.JournalHead;
        return new RetentionItem(r.Id, r.MeasureCode, row.Title, r.FiscalYear, r.SectionCode, r.RetentionClass, r.RetentionUntil, state, r.AcceptedAt)
        {
            ListedAt = rr?.ListedAt, HoldReason = rr?.HoldReason, HeldAt = rr?.HeldAt, HeldBy = rr?.HeldBy, DisposedAt = r.DisposedAt,
            PackageSha256 = packaged || r.Disposition == RetentionStates.Transferred ? rr?.PackageSha256 : null,
            PackagedAt = packaged || r.Disposition == RetentionStates.Transferred ? rr?.PackagedAt : null,
        };
    }

    private static DateOnly JapanDay(DateTime utc) => FiscalYear.JapanDate(new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)));

    private sealed class Row
    {
        public required ProgressReport Report { get; init; }
        public required string Title { get; init; }
        public RecordRetention? Retention { get; init; }
    }
}
