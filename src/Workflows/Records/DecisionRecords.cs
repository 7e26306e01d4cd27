using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Records;

/// <summary>A rendered decision record: the PDF's bytes and the names to offer it under.</summary>
public sealed record DecisionRecordFile(byte[] Pdf, string FileName, string AsciiFileName, DecisionRecord Record);

/// <summary>
/// The decision record (決裁文書) of a report, for whoever may see the report: its content, the
/// indicators against their targets, the approval record from the journal (each action with the
/// step, who, on whose behalf, when and the comment; 代決 with its 後閲), the attached files with
/// their SHA-256, the corrections after acceptance, and the journal's head, length and key.
/// </summary>
public sealed class DecisionRecords(
    ReformDbContext db, ReportDetails details, Attachments attachments, Corrections corrections, RouteCatalog routes, DecisionRecordPdf pdf, TimeProvider time)
{
    /// <summary>The journal actions the approval record prints (the opening of the report and 後閲 entries are shown otherwise).</summary>
    private static readonly HashSet<string> Printed = ["submit", "recall", "approve", "return", "accept", "concur", "object", ReportNotes.CommentAction];

    /// <summary>Why a disposed record has no decision record or files any more.</summary>
    public const string Disposed = "The record's content and files were removed at the end of its retention (廃棄 or 移管); only its journal is kept.";

    public async Task<Outcome<DecisionRecord>> BuildAsync(Guid reportId, Caller caller, CancellationToken cancellationToken)
    {
        var found = await details.GetAsync(reportId, caller, cancellationToken);
        if (found.Failure is { } failure)
        {
            return failure;
        }

        var detail = found.Value;
        var report = detail.Report;
        if (report.DisposedAt is not null)
        {
            return Outcome.Gone(Disposed);
        }
        var row = await db.ProgressReports.AsNoTracking().Where(r => r.Id == reportId)
            .Select(r => new { r.AcceptedAt, r.JournalLength, r.JournalHead }).SingleAsync(cancellationToken);
        var route = await routes.GetAsync(report.Route, report.RouteVersion, cancellationToken);
        var entries = await db.JournalEntries.AsNoTracking().Where(e => e.ReportId == reportId).OrderBy(e => e.Seq).ToListAsync(cancellationToken);
        var reviews = detail.DeputyDecisions.Where(d => d.Reviewed).ToDictionary(d => d.Seq);
        string? Section(string? code) => code is null ? null : detail.SectionNames.GetValueOrDefault(code, code);

        return Outcome.Ok(new DecisionRecord
        {
            MeasureCode = report.MeasureCode,
            MeasureTitle = report.MeasureTitle,
            FiscalYear = report.FiscalYear,
            DepartmentName = detail.DepartmentName,
            SectionName = detail.SectionName,
            RouteTitle = detail.RouteTitle,
            Status = StatusLabel(report.Status),
            ReportId = report.Id,
            Version = report.Version,
            AcceptedAt = row.AcceptedAt,
            RetentionClass = report.RetentionClass switch
            {
                null => null,
                Retention.Permanent => Retention.Permanent,
                { } years => report.RetentionUntil is { } until ? $"{years}年（{JapaneseDates.Date(until)}まで）" : $"{years}年（受理した年度の翌年度から）",
            },
            GeneratedAt = time.GetUtcNow().UtcDateTime,
            Progress = report.Content.Progress is { } progress ? ProgressLabel(progress) : null,
            Achievements = report.Content.Achievements,
            NextSteps = report.Content.NextSteps,
            Indicators = detail.Indicators.Select(i => new IndicatorResult(i.Code, i.Title, i.Unit, i.Target, i.Actual)).ToList(),
            Approvals = entries.Where(e => Printed.Contains(e.Action)).Select(e => new ApprovalEntry
            {
                Seq = e.Seq,
                StepTitle = route?.Find(e.StepId)?.DisplayTitle ?? e.StepId ?? "—",
                Action = ActionLabel(e.Action),
                ActorName = e.Actor,
                ActorTitle = string.Join(' ', new[] { Section(e.ActorSectionCode), RoleLabel(e.ActorRole) }.Where(p => !string.IsNullOrEmpty(p))) is { Length: > 0 } title ? title : null,
                OnBehalfOf = e.OnBehalfOf,
                At = e.At,
                Comment = e.Comment,
                PostReview = reviews.TryGetValue(e.Seq, out var review) ? new PostReview(review.ReviewedAt!.Value, review.Principal, review.ReviewComment) : null,
            }).ToList(),
            Corrections = (await corrections.OfAsync(reportId, cancellationToken)).Select(c => new Correction(c.Author, c.At, c.Text)).ToList(),
            Attachments = (await attachments.CurrentAsync(reportId, cancellationToken))
                .Select(a => new AttachedFile(a.FileName, a.Version, a.Size, a.Sha256, a.UploadedBy, a.UploadedAt)).ToList(),
            Journal = new JournalSeal(row.JournalLength, row.JournalHead, entries.LastOrDefault()?.KeyId ?? string.Empty),
        });
    }

    /// <summary>The record as a PDF, with the names to offer it under (Japanese, and an ASCII fallback).</summary>
    public async Task<Outcome<DecisionRecordFile>> RenderAsync(Guid reportId, Caller caller, CancellationToken cancellationToken)
    {
        var built = await BuildAsync(reportId, caller, cancellationToken);
        if (built.Failure is { } failure)
        {
            return failure;
        }

        return Outcome.Ok(Render(built.Value));
    }

    internal DecisionRecordFile Render(DecisionRecord record)
    {
        using var output = new MemoryStream();
        pdf.Render(record, output);
        var year = new Calendar.FiscalYear(record.FiscalYear).ReiwaLabel;
        return new DecisionRecordFile(output.ToArray(), $"決裁文書_{record.MeasureCode}_{year}.pdf",
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"decision-record_{record.MeasureCode}_FY{record.FiscalYear}.pdf"), record);
    }

    public static string StatusLabel(string status) => status switch
    {
        "Draft" => "作成中",
        "Returned" => "差戻し",
        "Submitted" => "提出済",
        "SectionApproved" => "課長承認済",
        "DepartmentApproved" => "部長承認済",
        "InConsultation" => "合議中",
        RouteDefinition.AcceptedStatus => "受理済",
        _ => status,
    };

    public static string ActionLabel(string action) => action switch
    {
        "open" => "開始",
        "submit" => "提出",
        "recall" => "引戻し",
        "approve" => "承認",
        "return" => "差戻し",
        "accept" => "受理",
        "concur" => "合議同意",
        "object" => "合議異議",
        ReportNotes.CommentAction => "意見",
        ReportNotes.PostReviewAction => "後閲",
        Corrections.Action => "軽微な修正",
        _ => action,
    };

    private static string ProgressLabel(Progress progress) => progress switch
    {
        Progress.OnTrack => "順調",
        Progress.MostlyOnTrack => "おおむね順調",
        Progress.Delayed => "遅れ",
        _ => "未着手",
    };

    private static string? RoleLabel(string? role) => Enum.TryParse<Role>(role, out var parsed) ? parsed switch
    {
        Role.Staff => "担当",
        Role.SectionChief => "課長",
        Role.DepartmentHead => "部長",
        Role.HqReviewer => "推進本部事務局",
        Role.HqAdmin => "推進本部事務局",
        Role.Committee => "推進委員会委員",
        Role.Auditor => "監査",
        _ => null,
    } : null;
}
