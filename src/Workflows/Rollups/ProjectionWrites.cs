using System.Globalization;
using System.Text;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// The projection consumer's writes as set statements: a round of a few hundred events is a few
/// statements, not one (and a tracked entity) per event. On PostgreSQL each statement has one text
/// whatever the round's size (its values in arrays), so it is prepared once per connection; on SQLite,
/// in-process, rows of values in chunks.
/// </summary>
public static class ProjectionWrites
{
    private const int RowsPerStatement = 200;

    /// <summary>
    /// Records the message ids as processed by <paramref name="consumer"/> and answers those not
    /// recorded before (the others were applied already). The ids are inserted in order, so two rounds
    /// racing on the same ids (a redelivery on another host) wait for each other rather than deadlock.
    /// </summary>
    public static async Task<List<Guid>> RecordAsync(ReformDbContext db, string consumer, List<Guid> messageIds, DateTime now, CancellationToken cancellationToken)
    {
        var ordered = messageIds.Distinct().Order().ToArray();
        if (db.Database.OnPostgres())
        {
            return await db.Database.SqlQueryRaw<Guid>(
                """
                INSERT INTO processed_messages (consumer, message_id, processed_at)
                SELECT {0}, id, {1} FROM unnest({2}) AS id ORDER BY id
                ON CONFLICT DO NOTHING RETURNING message_id AS "Value"
                """, consumer, now, ordered).ToListAsync(cancellationToken);
        }

        var recorded = new List<Guid>(ordered.Length);
        foreach (var chunk in ordered.Chunk(RowsPerStatement))
        {
            var sql = new StringBuilder("INSERT INTO processed_messages (consumer, message_id, processed_at) VALUES ");
            var parameters = new List<object>(chunk.Length + 2) { consumer, now };
            foreach (var id in chunk)
            {
                sql.Append(parameters.Count == 2 ? string.Empty : ", ").Append(CultureInfo.InvariantCulture, $"({{0}}, {{{parameters.Count}}}, {{1}})");
                parameters.Add(id);
            }

            sql.Append(" ON CONFLICT DO NOTHING RETURNING message_id AS \"Value\"");
            recorded.AddRange(await db.Database.SqlQueryRaw<Guid>(sql.ToString(), [.. parameters]).ToListAsync(cancellationToken));
        }

        return recorded;
    }

    /// <summary>
    /// Moves each event's projection row to the event's status and version, where the row's version is
    /// older (the caller holds the rows locked and has checked; the condition keeps a row from ever
    /// going back). The rows are written in report order.
    /// </summary>
    public static async Task UpdateAsync(ReformDbContext db, IReadOnlyList<ReportEvent> changed, CancellationToken cancellationToken)
    {
        if (changed.Count == 0)
        {
            return;
        }

        var ordered = changed.OrderBy(e => e.ReportId).ToList();
        if (db.Database.OnPostgres())
        {
            await db.Database.ExecuteSqlRawAsync(
                """
                UPDATE report_projections AS p SET status = v.status, version = v.version, updated_at = v.updated_at
                FROM unnest({0}, {1}, {2}, {3}) AS v (report_id, status, version, updated_at)
                WHERE p.report_id = v.report_id AND p.version < v.version
                """,
                [ordered.Select(e => e.ReportId).ToArray(), ordered.Select(e => e.Status).ToArray(), ordered.Select(e => e.Version).ToArray(), ordered.Select(e => e.At).ToArray()],
                cancellationToken);
            return;
        }

        foreach (var chunk in ordered.Chunk(RowsPerStatement))
        {
            var sql = new StringBuilder("WITH v (report_id, status, version, updated_at) AS (VALUES ");
            var parameters = new List<object>(chunk.Length * 4);
            foreach (var e in chunk)
            {
                AppendRow(sql, parameters, [e.ReportId, e.Status, e.Version, e.At]);
            }

            sql.Append(") UPDATE report_projections SET status = v.status, version = v.version, updated_at = v.updated_at FROM v")
                .Append(" WHERE report_projections.report_id = v.report_id AND report_projections.version < v.version");
            await db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters, cancellationToken);
        }
    }

    /// <summary>
    /// One row of a <c>VALUES</c> list (SQLite's statements here): its placeholders, after a comma but for
    /// the first row, and its values added to the statement's parameters.
    /// </summary>
    internal static void AppendRow(StringBuilder sql, List<object> parameters, object[] values)
    {
        sql.Append(parameters.Count == 0 ? "(" : ", (");
        for (var i = 0; i < values.Length; i++)
        {
            sql.Append(i == 0 ? string.Empty : ", ").Append(CultureInfo.InvariantCulture, $"{{{parameters.Count}}}");
            parameters.Add(values[i]);
        }

        sql.Append(')');
    }
}
