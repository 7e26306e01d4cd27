using AomoriReform.Contracts.CheckIns;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.CheckIns;

public sealed record CheckInRequest(int? FiscalYear, DateOnly? DueDate);

public sealed record CheckInView(int FiscalYear, DateOnly DueDate, int ReportsOpened, DateTime OpenedAt);

/// <summary>
/// Opens a fiscal year's progress check: one report per measure of the plan, each on the newest
/// active version of its route, in Draft, with a draft task for its owning section, all in one
/// transaction and written in bulk. The route is the one the approval rules in force that day give
/// the measure's 決裁区分 (recorded on the report with the rule), else the measure's own. The check-in row is
/// keyed by the year, so a second opening (another request, another host, the scheduled job)
/// fails on the key and nothing is duplicated.
/// </summary>
public sealed class CheckInOpener(ReformDbContext db, Outbox outbox, TimeProvider time, JournalKeys keys, IOptions<ReportOptions> options)
{
    public async Task<Outcome<CheckInView>> OpenAsync(
        CheckInRequest request, string actorId, string actorName, CancellationToken cancellationToken)
    {
        var plan = await db.Plans.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        if (request.FiscalYear is not { } year)
        {
            return Outcome.Invalid("fiscalYear", "required");
        }

        if (plan is null || !plan.Covers(year))
        {
            return Outcome.Invalid("fiscalYear", plan is null ? "no plan has been imported" : $"must be within the plan period {plan.FromFiscalYear}-{plan.ToFiscalYear}");
        }

        if (request.DueDate is not { } due)
        {
            return Outcome.Invalid("dueDate", "required (a date such as 2026-05-29)");
        }

        if (await db.CheckIns.AnyAsync(c => c.FiscalYear == year, cancellationToken))
        {
            return AlreadyOpen(year);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var versions = await RouteCatalog.LatestVersionsAsync(db, cancellationToken);
        // 決裁区分: the rules in force on the day the check-in opens choose each measure's route by its class.
        var rules = await ApprovalRuleSets.InForceAsync(db, FiscalYear.JapanDate(time.GetUtcNow()), cancellationToken);
        var measures = (await db.Measures.AsNoTracking()
                .Select(m => new { m.Id, m.Code, m.ItemCode, m.OwnerSectionCode, m.OwnerSection!.DepartmentCode, m.RouteName, m.ConsultSections, m.ConsultRequired, m.ApprovalClass, m.Budget, m.RetentionClass })
                .ToListAsync(cancellationToken))
            .Select(m => (Measure: m, Rule: rules?.Choose(m.ApprovalClass, m.Budget)))
            .Select(m => (m.Measure, RouteName: m.Rule?.Route ?? m.Measure.RouteName, RouteRule: m.Rule is null ? null : rules!.Describe(m.Rule)))
            .ToList();
        if (measures.FirstOrDefault(m => !versions.ContainsKey(m.RouteName)) is { Measure: not null } stranded)
        {
            // Retiring refuses to leave a route in use without an active version; this is the last guard.
            return Outcome.Conflict($"Measure {stranded.Measure.Code} goes on route {stranded.RouteName}, which has no active version; publish one first.") with { Title = "No active route version" };
        }

        var routes = new Dictionary<string, RouteDefinition>(StringComparer.Ordinal);
        foreach (var name in measures.Select(m => m.RouteName).Distinct())
        {
            var record = await db.WorkflowDefinitions.AsNoTracking().SingleAsync(d => d.Name == name && d.Version == versions[name], cancellationToken);
            routes[name] = RouteDefinition.FromJson(record.Definition);
        }

        // One transaction. The check-in row goes first: a second opening (another request, another host,
        // the scheduled job) waits on its key and fails when this one commits, before writing anything.
        // The reports, their journal entries, tasks and events follow in bulk, a thousand measures at a
        // time, without change tracking: at 100,000 measures that is half a million rows.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.CheckIns.Add(new CheckIn { FiscalYear = year, DueDate = due, ReportsOpened = measures.Count, OpenedAt = now, OpenedBy = actorName });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another request or host opened the same year between our check and our commit.
            await transaction.RollbackAsync(cancellationToken);
            db.ChangeTracker.Clear();
            if (await db.CheckIns.AnyAsync(c => c.FiscalYear == year, cancellationToken))
            {
                return AlreadyOpen(year);
            }

            throw;
        }

        var system = new Caller(actorId, actorName, Organisation.Role.HqAdmin, null, null, []);
        foreach (var chunk in measures.Chunk(1000))
        {
            var reports = new List<ProgressReport>(chunk.Length);
            var entries = new List<JournalEntry>(chunk.Length);
            var tasks = new List<WorkTask>(chunk.Length);
            var events = new List<OutboxMessage>(chunk.Length);
            foreach (var (measure, routeName, routeRule) in chunk)
            {
                var route = routes[routeName];
                var report = new ProgressReport
                {
                    Id = Guid.CreateVersion7(time.GetUtcNow()), MeasureId = measure.Id, MeasureCode = measure.Code, ItemCode = measure.ItemCode,
                    SectionCode = measure.OwnerSectionCode, DepartmentCode = measure.DepartmentCode, FiscalYear = year,
                    RouteName = route.Name, RouteVersion = route.Version, StepId = route.First.Id, Status = route.First.Status,
                    Version = 1, DueDate = due, CreatedAt = now, UpdatedAt = now,
                    ConsultSections = measure.ConsultSections, ConsultRequired = measure.ConsultRequired, ApprovalClass = measure.ApprovalClass, RetentionClass = measure.RetentionClass,
                    RouteRule = routeRule,
                };
                entries.Add(Journal.Append(keys, report, now, actorId, actorName, null, null, "open", null, report.Status, null, new JournalPlace(route.First.Id, null, null)));
                reports.Add(report);
                var streamId = report.Id.ToString("N");
                var opened = ReportWorkflow.OpenTasks(report, route.First, due, now);
                tasks.AddRange(opened);
                events.Add(outbox.Create(ReportWorkflow.Event<ReportOpened>(report, null, system, null, opened, now), streamId));
                if (options.Value.PublishTaskAssigned)
                {
                    events.AddRange(opened.Select(task => outbox.Create(ReportWorkflow.TaskEvent(report, task), streamId)));
                }
            }

            await BulkInsert.InsertAsync(db, reports, cancellationToken);
            await BulkInsert.InsertAsync(db, entries, cancellationToken);
            await BulkInsert.InsertAsync(db, tasks, cancellationToken);
            await BulkInsert.InsertAsync(db, events, cancellationToken);
        }

        // Through the unit of work, so the dispatcher is woken when the transaction commits.
        outbox.Add(new CheckInOpened { FiscalYear = year, DueDate = due, ReportsOpened = measures.Count, Actor = actorName, At = now });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Outcome.Ok(new CheckInView(year, due, measures.Count, now));
    }

    private static Failure AlreadyOpen(int year) => Outcome.Conflict($"The check-in of FY{year} is open already.") with { Title = "Check-in already open" };

    public async Task<IReadOnlyList<CheckInView>> ListAsync(CancellationToken cancellationToken) =>
        await db.CheckIns.AsNoTracking().OrderByDescending(c => c.FiscalYear)
            .Select(c => new CheckInView(c.FiscalYear, c.DueDate, c.ReportsOpened, c.OpenedAt))
            .ToListAsync(cancellationToken);
}
