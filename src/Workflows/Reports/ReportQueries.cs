using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>Read side of the reports: the task inbox, lists and the history.</summary>
public sealed class ReportQueries(ReformDbContext db, CallerResolver callers)
{
    /// <summary>
    /// The open tasks the caller can act on now, as themselves or as deputy: tasks of their role
    /// within their section, department or HQ, oldest due first.
    /// </summary>
    public async Task<Page<InboxItem>> InboxAsync(Caller caller, int page, int pageSize, CancellationToken cancellationToken)
    {
        var items = new List<InboxItem>();
        var total = 0;
        foreach (var identity in caller.Identities)
        {
            var role = identity.Role;
            var section = identity.SectionCode;
            var department = identity.DepartmentCode;
            var tasks = db.WorkTasks.AsNoTracking().Where(t => t.State == WorkTaskState.Open && t.AssigneeRole == role
                && (t.AssigneeSectionCode == null || t.AssigneeSectionCode == section)
                && (t.AssigneeDepartmentCode == null || t.AssigneeDepartmentCode == department));
            // Nobody decides on their own submission, so such tasks are not theirs to see here.
            if (role is not (Role.Staff))
            {
                var self = caller.UserId;
                tasks = tasks.Where(t => db.ProgressReports.Any(r => r.Id == t.ReportId && (r.SubmittedBy == null || r.SubmittedBy != self)));
            }

            total += await tasks.CountAsync(cancellationToken);
            var rows = await tasks
                .OrderBy(t => t.DueDate).ThenBy(t => t.Id)
                .Skip((page - 1) * pageSize).Take(pageSize)
                .Join(db.ProgressReports, t => t.ReportId, r => r.Id, (t, r) => new { Task = t, Report = r })
                .Join(db.Measures, x => x.Report.MeasureId, m => m.Id, (x, m) => new
                {
                    x.Task.Id, x.Task.ReportId, x.Report.MeasureCode, m.Title, x.Report.FiscalYear, x.Report.Status, x.Task.StepId, x.Task.DueDate,
                })
                .ToListAsync(cancellationToken);
            var today = callers.Today;
            items.AddRange(rows.Select(r => new InboxItem(
                r.Id, r.ReportId, r.MeasureCode, r.Title, r.FiscalYear, r.Status, r.StepId, r.DueDate, r.DueDate < today,
                identity.UserId == caller.UserId ? null : identity.Name)));
        }

        return new Page<InboxItem>(items.DistinctBy(i => i.TaskId).OrderBy(i => i.DueDate).Take(pageSize).ToList(), total);
    }

    public async Task<Page<ReportSummary>> ListAsync(Caller caller, int? fiscalYear, string? status, string? sectionCode, int page, int pageSize, CancellationToken cancellationToken)
    {
        var reports = Visibility.Filter(db.ProgressReports.AsNoTracking(), caller);
        if (fiscalYear is { } year)
        {
            reports = reports.Where(r => r.FiscalYear == year);
        }

        if (status is not null)
        {
            reports = reports.Where(r => r.Status == status);
        }

        if (sectionCode is not null)
        {
            reports = reports.Where(r => r.SectionCode == sectionCode);
        }

        var total = await reports.CountAsync(cancellationToken);
        var items = await reports
            .OrderBy(r => r.FiscalYear).ThenBy(r => r.MeasureCode)
            .Skip((page - 1) * pageSize).Take(pageSize)
            .Join(db.Measures, r => r.MeasureId, m => m.Id, (r, m) => new ReportSummary(
                r.Id, r.MeasureCode, m.Title, r.SectionCode, r.DepartmentCode, r.FiscalYear, r.Status, r.Version, r.DueDate, r.RouteName))
            .ToListAsync(cancellationToken);
        return new Page<ReportSummary>(items, total);
    }

    /// <summary>The approval history, oldest first; null when the caller may not see the report.</summary>
    public async Task<IReadOnlyList<HistoryEntry>?> HistoryAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var report = await db.ProgressReports.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        var openTasks = await db.WorkTasks.AsNoTracking().Where(t => t.ReportId == id && t.State == WorkTaskState.Open).ToListAsync(cancellationToken);
        if (report is null || !Visibility.CanSee(caller, report, openTasks))
        {
            return null;
        }

        return await db.JournalEntries.AsNoTracking()
            .Where(e => e.ReportId == id)
            .OrderBy(e => e.Seq)
            .Select(e => new HistoryEntry(e.Seq, e.At, e.Actor, e.OnBehalfOf, e.Action, e.FromStatus, e.ToStatus, e.Comment))
            .ToListAsync(cancellationToken);
    }
}

public sealed record ReportSummary(
    Guid Id, string MeasureCode, string MeasureTitle, string SectionCode, string DepartmentCode, int FiscalYear, string Status, int Version, DateOnly DueDate, string Route);
