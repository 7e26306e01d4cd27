using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>Read side of the reports: the task inbox, lists and the history.</summary>
public sealed class ReportQueries(ReformDbContext db, CallerResolver callers, RouteCatalog routes)
{
    /// <summary>
    /// The open tasks the caller can act on now, as themselves or as deputy: tasks of their role
    /// within their section, department or HQ, filtered, oldest due first, one page of them.
    /// </summary>
    public async Task<Page<InboxItem>> InboxAsync(Caller caller, InboxFilter filter, Paging paging, CancellationToken cancellationToken)
    {
        var today = callers.Today;
        var rows = Filtered(caller, filter, today);
        var total = await CountAsync(caller, filter, today, cancellationToken);
        var items = await rows
            .OrderBy(x => x.Task.DueDate).ThenBy(x => x.Report.MeasureCode).ThenBy(x => x.Task.Id)
            .Skip(paging.Skip).Take(paging.Size)
            .Join(db.Measures, x => x.Report.MeasureId, m => m.Id, (x, m) => new
            {
                x.Task.Id, x.Task.ReportId, x.Report.MeasureCode, m.Title, x.Report.FiscalYear, x.Report.Status, x.Task.StepId, x.Task.DueDate,
                x.Task.AssigneeRole, x.Task.AssigneeSectionCode, x.Task.AssigneeDepartmentCode, x.Task.Kind, x.Report.Version, x.Report.RouteName, x.Report.RouteVersion,
            })
            .ToListAsync(cancellationToken);
        var result = new List<InboxItem>(items.Count);
        foreach (var r in items)
        {
            // Whose task it is: the caller's own first, else the principal it came from; a 後閲 is always the caller's own.
            var owner = r.Kind == WorkTaskKind.PostReview ? caller : caller.Identities.First(i => Matches(i, r.AssigneeRole, r.AssigneeSectionCode, r.AssigneeDepartmentCode));
            var route = await routes.GetAsync(r.RouteName, r.RouteVersion, cancellationToken);
            result.Add(new InboxItem(r.Id, r.ReportId, r.MeasureCode, r.Title, r.FiscalYear, r.Status, r.StepId, r.DueDate, r.DueDate < today,
                owner.UserId == caller.UserId ? null : owner.Name)
            {
                Kind = r.Kind == WorkTaskKind.PostReview ? "postReview" : "action",
                Bulk = r.Kind == WorkTaskKind.Action && route?.Find(r.StepId) is { Bulk: true, Kind: not StepKind.Draft },
                Version = r.Version,
            });
        }

        return new Page<InboxItem>(result, total);
    }

    /// <summary>How many open tasks the caller has (the count in the navigation).</summary>
    public Task<int> CountInboxAsync(Caller caller, CancellationToken cancellationToken) =>
        CountAsync(caller, InboxFilter.None, callers.Today, cancellationToken);

    /// <summary>
    /// How many tasks <see cref="Filtered"/> holds. A 後閲 or a staff task is the caller's whatever its
    /// report says, so when no filter reads the report those are counted from the tasks alone, and only
    /// the others join their report for the rule on one's own submission (every task has its report: a
    /// foreign key). At 20,000 reports a staff member's 646 open drafts took 4.5-4.8 ms to count with the
    /// join and 1.3-1.9 ms without (PostgreSQL), and the inbox page counts twice (its total, the
    /// navigation's badge), as every page does once. Both parts go in one statement.
    /// </summary>
    private async Task<int> CountAsync(Caller caller, InboxFilter filter, DateOnly today, CancellationToken cancellationToken)
    {
        if (filter.FiscalYear is not null || filter.Status is not null || filter.Viewpoint is not null)
        {
            return await Filtered(caller, filter, today).CountAsync(cancellationToken);
        }

        var self = caller.UserId;
        var tasks = Open(caller, filter.Overdue, today);
        // One statement, two arms: the tasks that are the caller's whatever their report, and the others
        // whose report was not submitted by the caller.
        return await tasks.Where(t => t.Kind == WorkTaskKind.PostReview || t.AssigneeRole == Role.Staff).Select(t => t.Id)
            .Concat(tasks.Where(t => t.Kind != WorkTaskKind.PostReview && t.AssigneeRole != Role.Staff)
                .Join(db.ProgressReports, t => t.ReportId, r => r.Id, (t, r) => new { t.Id, r.SubmittedBy })
                .Where(x => x.SubmittedBy == null || x.SubmittedBy != self)
                .Select(x => x.Id))
            .CountAsync(cancellationToken);
    }

    /// <summary>
    /// The caller's open tasks before the rule on their own submission: two lookups joined by UNION ALL
    /// (a task is of one kind, so none is in both), the caller's own 後閲 through the person's index and
    /// the action tasks of their groups through the inbox index. One WHERE with an OR of the two made
    /// SQLite, which plans without statistics, read the whole inbox index (every open task of the year)
    /// rather than search each index. Overdue or not, when asked, by the task's due date.
    /// </summary>
    private IQueryable<WorkTask> Open(Caller caller, bool? overdue, DateOnly today)
    {
        var self = caller.UserId;
        var tasks = db.WorkTasks.AsNoTracking()
            .Where(t => t.State == WorkTaskState.Open && t.Kind == WorkTaskKind.PostReview && t.AssigneeUserId == self)
            .Concat(db.WorkTasks.AsNoTracking().Where(t => t.State == WorkTaskState.Open).Where(InGroupsOfAny(caller.Identities.ToList())));
        return overdue switch
        {
            true => tasks.Where(t => t.DueDate < today),
            false => tasks.Where(t => t.DueDate >= today),
            null => tasks,
        };
    }

    private IQueryable<TaskRow> Filtered(Caller caller, InboxFilter filter, DateOnly today)
    {
        var self = caller.UserId;
        var rows = Open(caller, filter.Overdue, today)
            .Join(db.ProgressReports, t => t.ReportId, r => r.Id, (t, r) => new TaskRow { Task = t, Report = r })
            // Nobody decides on their own submission (not even as deputy), so such tasks are not theirs to see here.
            .Where(x => x.Task.Kind == WorkTaskKind.PostReview || x.Task.AssigneeRole == Role.Staff || x.Report.SubmittedBy == null || x.Report.SubmittedBy != self);
        if (filter.FiscalYear is { } year)
        {
            rows = rows.Where(x => x.Report.FiscalYear == year);
        }

        if (filter.Status is { } status)
        {
            rows = rows.Where(x => x.Report.Status == status);
        }

        if (filter.Viewpoint is { } viewpoint)
        {
            var prefix = viewpoint + ".";
            rows = rows.Where(x => x.Report.ItemCode.StartsWith(prefix));
        }

        return rows;
    }

    private static bool Matches(Caller identity, Role role, string? section, string? department) =>
        identity.Role == role && (section == null || section == identity.SectionCode) && (department == null || department == identity.DepartmentCode);

    /// <summary>
    /// An action task for the role and scope of any of the caller's identities: its candidate group's
    /// key among the keys of all their groups (one lookup in the inbox index, whatever the number of
    /// identities), and the same groups by their columns, which the key is made of.
    /// </summary>
    private static System.Linq.Expressions.Expression<Func<WorkTask, bool>> InGroupsOfAny(IReadOnlyList<Caller> identities)
    {
        var task = System.Linq.Expressions.Expression.Parameter(typeof(WorkTask), "t");
        System.Linq.Expressions.Expression? lookup = null;
        System.Linq.Expressions.Expression? check = null;
        foreach (var identity in identities)
        {
            var role = identity.Role;
            var section = identity.SectionCode;
            var department = identity.DepartmentCode;
            foreach (var groupKey in AssigneeKeys.GroupsOf(role, section, department))
            {
                System.Linq.Expressions.Expression<Func<WorkTask, bool>> equal = t => EF.Property<string>(t, AssigneeKeys.Property) == groupKey;
                var body = new ReplaceParameter(equal.Parameters[0], task).Visit(equal.Body);
                lookup = lookup is null ? body : System.Linq.Expressions.Expression.OrElse(lookup, body);
            }

            System.Linq.Expressions.Expression<Func<WorkTask, bool>> one = t => t.AssigneeRole == role
                && (t.AssigneeSectionCode == null || t.AssigneeSectionCode == section)
                && (t.AssigneeDepartmentCode == null || t.AssigneeDepartmentCode == department);
            var oneBody = new ReplaceParameter(one.Parameters[0], task).Visit(one.Body);
            check = check is null ? oneBody : System.Linq.Expressions.Expression.OrElse(check, oneBody);
        }

        System.Linq.Expressions.Expression<Func<WorkTask, bool>> action = t => t.Kind == WorkTaskKind.Action;
        var all = System.Linq.Expressions.Expression.AndAlso(
            System.Linq.Expressions.Expression.AndAlso(lookup!, new ReplaceParameter(action.Parameters[0], task).Visit(action.Body)), check!);
        return System.Linq.Expressions.Expression.Lambda<Func<WorkTask, bool>>(all, task);
    }

    private sealed class ReplaceParameter(System.Linq.Expressions.ParameterExpression from, System.Linq.Expressions.ParameterExpression to) : System.Linq.Expressions.ExpressionVisitor
    {
        protected override System.Linq.Expressions.Expression VisitParameter(System.Linq.Expressions.ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }

    private sealed class TaskRow
    {
        public required WorkTask Task { get; init; }
        public required ProgressReport Report { get; init; }
    }

    /// <summary>The reports the caller may see, filtered (a dashboard row drills down to this), in plan order.</summary>
    public async Task<Page<ReportSummary>> ListAsync(Caller caller, ReportFilter filter, Paging paging, CancellationToken cancellationToken)
    {
        var reports = Visibility.Filter(db.ProgressReports.AsNoTracking(), caller);
        if (filter.FiscalYear is { } year)
        {
            reports = reports.Where(r => r.FiscalYear == year);
        }

        if (filter.Status is { } status)
        {
            reports = reports.Where(r => r.Status == status);
        }

        if (filter.Section is { } section)
        {
            reports = reports.Where(r => r.SectionCode == section);
        }

        if (filter.Department is { } department)
        {
            reports = reports.Where(r => r.DepartmentCode == department);
        }

        if (filter.Item is { } item)
        {
            reports = reports.Where(r => r.ItemCode == item);
        }
        else if ((filter.Area ?? filter.Viewpoint) is { } outline)
        {
            var prefix = outline + ".";
            reports = reports.Where(r => r.ItemCode.StartsWith(prefix));
        }

        if (filter.Overdue is { } overdue)
        {
            var today = callers.Today;
            reports = overdue
                ? reports.Where(r => r.Status != RouteDefinition.AcceptedStatus && r.DueDate < today)
                : reports.Where(r => r.Status == RouteDefinition.AcceptedStatus || r.DueDate >= today);
        }

        var total = await reports.CountAsync(cancellationToken);
        var items = await reports
            .OrderBy(r => r.FiscalYear).ThenBy(r => r.MeasureCode)
            .Skip(paging.Skip).Take(paging.Size)
            .Join(db.Measures, r => r.MeasureId, m => m.Id, (r, m) => new ReportSummary(
                r.Id, r.MeasureCode, m.Title, r.SectionCode, r.DepartmentCode, r.FiscalYear, r.Status, r.Version, r.DueDate, r.RouteName))
            .ToListAsync(cancellationToken);
        return new Page<ReportSummary>(items, total);
    }

    /// <summary>The approval history, oldest first; not found when the caller may not see the report.</summary>
    public async Task<Outcome<IReadOnlyList<HistoryEntry>>> HistoryAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var report = await db.ProgressReports.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        var openTasks = await db.WorkTasks.AsNoTracking().Where(t => t.ReportId == id && t.State == WorkTaskState.Open && t.Kind == WorkTaskKind.Action).ToListAsync(cancellationToken);
        if (report is null || !Visibility.CanSee(caller, report, openTasks))
        {
            return Outcome.NotFound("No such report.");
        }

        var entries = await db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync(cancellationToken);
        return Outcome.Ok<IReadOnlyList<HistoryEntry>>(entries.Select(History).ToList());
    }

    /// <summary>A journal entry as the history shows it.</summary>
    internal static HistoryEntry History(JournalEntry e) => new(e.Seq, e.At, e.Actor, e.OnBehalfOf, e.Action, e.FromStatus, e.ToStatus, e.Comment)
    {
        Step = e.StepId, ActorRole = e.ActorRole, ActorSection = e.ActorSectionCode,
    };
}

/// <summary>Which of the inbox's tasks to show; every part optional.</summary>
public sealed record InboxFilter(int? FiscalYear = null, string? Status = null, string? Viewpoint = null, bool? Overdue = null)
{
    public static readonly InboxFilter None = new();
}

/// <summary>Which reports to list; every part optional. Viewpoint and area match by outline code prefix.</summary>
public sealed record ReportFilter(
    int? FiscalYear = null, string? Status = null, string? Viewpoint = null, string? Area = null, string? Item = null,
    string? Department = null, string? Section = null, bool? Overdue = null);

public sealed record ReportSummary(
    Guid Id, string MeasureCode, string MeasureTitle, string SectionCode, string DepartmentCode, int FiscalYear, string Status, int Version, DateOnly DueDate, string Route);
