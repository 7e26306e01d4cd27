using System.Text;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Rollups;

/// <summary>One group of <see cref="RollupCount"/>.</summary>
public readonly record struct RollupGroup(int FiscalYear, string ItemCode, string SectionCode, string DepartmentCode, string Status, DateOnly DueDate)
{
    /// <summary>The key's order, the order in which a batch locks the groups it changes.</summary>
    public static readonly Comparer<RollupGroup> KeyOrder = Comparer<RollupGroup>.Create((a, b) =>
    {
        var c = a.FiscalYear.CompareTo(b.FiscalYear);
        c = c != 0 ? c : string.CompareOrdinal(a.ItemCode, b.ItemCode);
        c = c != 0 ? c : string.CompareOrdinal(a.SectionCode, b.SectionCode);
        c = c != 0 ? c : string.CompareOrdinal(a.DepartmentCode, b.DepartmentCode);
        c = c != 0 ? c : string.CompareOrdinal(a.Status, b.Status);
        return c != 0 ? c : a.DueDate.CompareTo(b.DueDate);
    });

    public static RollupGroup Of(ReportProjection row, string status) =>
        new(row.FiscalYear, row.ItemCode, row.SectionCode, row.DepartmentCode, status, row.DueDate);
}

/// <summary>
/// Writes changes to <see cref="RollupCount"/>: on PostgreSQL one statement whose values are arrays
/// (one text whatever the number of groups, so prepared once per connection); on SQLite rows of values.
/// </summary>
public static class RollupCounting
{
    private const int RowsPerStatement = 100;

    /// <summary>
    /// Adds each change to its group's count, in the groups' order (two batches that touch the same
    /// groups lock them in the same order, so they wait for each other rather than deadlock).
    /// </summary>
    public static async Task AddAsync(ReformDbContext db, IReadOnlyDictionary<RollupGroup, int> changes, CancellationToken cancellationToken)
    {
        var rows = changes.Where(c => c.Value != 0).OrderBy(c => c.Key, RollupGroup.KeyOrder).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        if (db.Database.OnPostgres())
        {
            // unnest keeps the arrays' order: the groups are locked in key order.
            await db.Database.ExecuteSqlRawAsync(
                """
                INSERT INTO rollup_counts (fiscal_year, item_code, section_code, department_code, status, due_date, reports)
                SELECT * FROM unnest({0}, {1}, {2}, {3}, {4}, {5}, {6})
                ON CONFLICT (fiscal_year, item_code, section_code, department_code, status, due_date) DO UPDATE SET reports = rollup_counts.reports + excluded.reports
                """,
                [
                    rows.Select(r => r.Key.FiscalYear).ToArray(), rows.Select(r => r.Key.ItemCode).ToArray(), rows.Select(r => r.Key.SectionCode).ToArray(),
                    rows.Select(r => r.Key.DepartmentCode).ToArray(), rows.Select(r => r.Key.Status).ToArray(), rows.Select(r => r.Key.DueDate).ToArray(),
                    rows.Select(r => r.Value).ToArray(),
                ],
                cancellationToken);
            return;
        }

        for (var from = 0; from < rows.Count; from += RowsPerStatement)
        {
            var chunk = rows.Skip(from).Take(RowsPerStatement).ToList();
            var sql = new StringBuilder("INSERT INTO rollup_counts (fiscal_year, item_code, section_code, department_code, status, due_date, reports) VALUES ");
            var parameters = new List<object>(chunk.Count * 7);
            foreach (var (group, change) in chunk)
            {
                ProjectionWrites.AppendRow(sql, parameters, [group.FiscalYear, group.ItemCode, group.SectionCode, group.DepartmentCode, group.Status, group.DueDate, change]);
            }

            sql.Append(" ON CONFLICT (fiscal_year, item_code, section_code, department_code, status, due_date) DO UPDATE SET reports = rollup_counts.reports + excluded.reports");
            await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters, cancellationToken);
        }
    }
}
