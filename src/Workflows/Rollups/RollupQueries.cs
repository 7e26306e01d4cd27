using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Rollups;

/// <summary>How HQ groups the reports of a fiscal year.</summary>
public enum RollupDimension
{
    Viewpoint,
    Area,
    Item,
    Department,
    Section,
}

/// <summary>
/// One group's counts. <c>otherSteps</c> counts reports waiting at steps a route adds (a
/// department head, a consultation), so that the status columns add up to <c>total</c>.
/// </summary>
public sealed record RollupRow(
    string Key, string Title, int Total, int Draft, int Returned, int Submitted, int SectionApproved, int Accepted, int OtherSteps, int Overdue)
{
    /// <summary>The rows added up: the year's totals, under the given key and title.</summary>
    public static RollupRow Sum(IEnumerable<RollupRow> rows, string key, string title)
    {
        var list = rows as IReadOnlyCollection<RollupRow> ?? rows.ToList();
        return new RollupRow(key, title, list.Sum(r => r.Total), list.Sum(r => r.Draft), list.Sum(r => r.Returned), list.Sum(r => r.Submitted),
            list.Sum(r => r.SectionApproved), list.Sum(r => r.Accepted), list.Sum(r => r.OtherSteps), list.Sum(r => r.Overdue));
    }
}

/// <summary>One opened year's rollup rows, labelled with its 令和 year.</summary>
public sealed record YearRollup(int FiscalYear, string Label, IReadOnlyList<RollupRow> Rows);

/// <summary>
/// Rollups for HQ: sums over the event-fed projection's group counts (live), or GROUP BY over the
/// report table itself (the truth a rebuild restores). Both go through the same aggregation.
/// </summary>
public sealed class RollupQueries(ReformDbContext db, CallerResolver callers)
{
    private sealed record Counted(string ItemCode, string SectionCode, string DepartmentCode, string Status, int Count, int Overdue);

    public Task<IReadOnlyList<RollupRow>> LiveAsync(int fiscalYear, RollupDimension by, CancellationToken cancellationToken)
    {
        var today = callers.Today;
        var counted = db.RollupCounts.AsNoTracking().Where(c => c.FiscalYear == fiscalYear && c.Reports != 0)
            .GroupBy(c => new { c.ItemCode, c.SectionCode, c.DepartmentCode, c.Status })
            .Select(g => new Counted(g.Key.ItemCode, g.Key.SectionCode, g.Key.DepartmentCode, g.Key.Status, g.Sum(c => c.Reports),
                g.Sum(c => c.Status != RouteDefinition.AcceptedStatus && c.DueDate < today ? c.Reports : 0)));
        return AggregateAsync(counted, by, cancellationToken);
    }

    public Task<IReadOnlyList<RollupRow>> FromReportsAsync(int fiscalYear, RollupDimension by, CancellationToken cancellationToken)
    {
        var today = callers.Today;
        var counted = db.ProgressReports.AsNoTracking().Where(r => r.FiscalYear == fiscalYear)
            .GroupBy(r => new { r.ItemCode, r.SectionCode, r.DepartmentCode, r.Status })
            .Select(g => new Counted(g.Key.ItemCode, g.Key.SectionCode, g.Key.DepartmentCode, g.Key.Status, g.Count(),
                g.Count(r => r.Status != RouteDefinition.AcceptedStatus && r.DueDate < today)));
        return AggregateAsync(counted, by, cancellationToken);
    }

    /// <summary>The live rollup of every opened check-in year, oldest first: year over year across the plan period.</summary>
    public async Task<IReadOnlyList<YearRollup>> YearsAsync(RollupDimension by, CancellationToken cancellationToken)
    {
        var opened = (await db.CheckIns.AsNoTracking().Select(c => c.FiscalYear).ToListAsync(cancellationToken)).Order().ToList();
        var years = new List<YearRollup>(opened.Count);
        foreach (var year in opened)
        {
            years.Add(new YearRollup(year, new FiscalYear(year).ReiwaLabel, await LiveAsync(year, by, cancellationToken)));
        }

        return years;
    }

    /// <summary>
    /// Replaces the projection (of one year, or all) with what the report table says, and recounts its
    /// groups, in one transaction. On PostgreSQL it first locks the projection against writers (readers
    /// go on): a consumer's batch that inserted a row after the delete and before the insert would break
    /// the rebuild on the key, as it did at 100,000 reports while the check-in's events were still
    /// arriving. Batches that were under way finish first; those that wait go on after it on what the
    /// rebuild wrote (a batch locks its projection rows before it counts, so it cannot count between
    /// the rebuild's steps). On SQLite the write gate already serialises them.
    /// </summary>
    public async Task<int> RebuildAsync(int? fiscalYear, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (db.Database.OnPostgres())
        {
            await db.Database.ExecuteSqlRawAsync("LOCK TABLE report_projections IN EXCLUSIVE MODE", cancellationToken);
        }

        await db.ReportProjections.Where(p => fiscalYear == null || p.FiscalYear == fiscalYear).ExecuteDeleteAsync(cancellationToken);
        await db.RollupCounts.Where(c => fiscalYear == null || c.FiscalYear == fiscalYear).ExecuteDeleteAsync(cancellationToken);
        // Set-based statements; a null year must not reach PostgreSQL as an untyped parameter.
        var year = fiscalYear ?? -1;
        var all = fiscalYear is null;
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO report_projections (report_id, fiscal_year, measure_code, item_code, section_code, department_code, status, version, due_date, updated_at)
            SELECT id, fiscal_year, measure_code, item_code, section_code, department_code, status, version, due_date, updated_at
            FROM progress_reports WHERE {all} OR fiscal_year = {year}
            """, cancellationToken);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO rollup_counts (fiscal_year, item_code, section_code, department_code, status, due_date, reports)
            SELECT fiscal_year, item_code, section_code, department_code, status, due_date, COUNT(*)
            FROM report_projections WHERE {all} OR fiscal_year = {year}
            GROUP BY fiscal_year, item_code, section_code, department_code, status, due_date
            """, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    private async Task<IReadOnlyList<RollupRow>> AggregateAsync(IQueryable<Counted> counted, RollupDimension by, CancellationToken cancellationToken)
    {
        var rows = await counted.ToListAsync(cancellationToken);
        var items = await db.PlanItems.AsNoTracking().ToDictionaryAsync(i => i.Code, cancellationToken);
        var areas = await db.Areas.AsNoTracking().ToDictionaryAsync(a => a.Code, cancellationToken);
        Dictionary<string, (string Title, int Order)> titles = by switch
        {
            RollupDimension.Viewpoint => await db.Viewpoints.AsNoTracking().ToDictionaryAsync(v => v.Code, v => (v.Title, v.Order), cancellationToken),
            RollupDimension.Area => areas.ToDictionary(a => a.Key, a => (a.Value.Title, a.Value.Order)),
            RollupDimension.Item => items.ToDictionary(i => i.Key, i => (i.Value.Title, i.Value.Order)),
            RollupDimension.Department => await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Code, d => (d.Name, 0), cancellationToken),
            _ => await db.Sections.AsNoTracking().ToDictionaryAsync(s => s.Code, s => (s.Name, 0), cancellationToken),
        };

        string KeyOf(Counted row) => by switch
        {
            RollupDimension.Item => row.ItemCode,
            RollupDimension.Area => items.TryGetValue(row.ItemCode, out var item) ? item.AreaCode : row.ItemCode,
            RollupDimension.Viewpoint => items.TryGetValue(row.ItemCode, out var item) && areas.TryGetValue(item.AreaCode, out var area) ? area.ViewpointCode : row.ItemCode,
            RollupDimension.Department => row.DepartmentCode,
            _ => row.SectionCode,
        };

        return rows.GroupBy(KeyOf)
            .Select(g =>
            {
                int Count(string status) => g.Where(r => r.Status == status).Sum(r => r.Count);
                var total = g.Sum(r => r.Count);
                var known = Count("Draft") + Count("Returned") + Count("Submitted") + Count("SectionApproved") + Count("Accepted");
                return new RollupRow(g.Key, titles.TryGetValue(g.Key, out var title) ? title.Title : g.Key, total,
                    Count("Draft"), Count("Returned"), Count("Submitted"), Count("SectionApproved"), Count("Accepted"), total - known, g.Sum(r => r.Overdue));
            })
            .OrderBy(r => titles.TryGetValue(r.Key, out var title) ? title.Order : 0).ThenBy(r => r.Key, StringComparer.Ordinal)
            .ToList();
    }
}
