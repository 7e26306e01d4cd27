using System.Collections.Concurrent;
using System.Data.Common;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// The read of every action and every report page: the report, its measure's title, its open action
/// tasks, and the ids of the caller's open 後閲 on it, as two plain statements in one round trip (on
/// PostgreSQL one batch, on SQLite one command), read with <see cref="RowReader{T}"/>. An action reads them
/// untracked and writes them by difference (<see cref="LoadedRow"/>); the record operations that load a report
/// to change it ask for them tracked, and they are attached to the context.
/// <para>
/// EF Core's query for the same (the report with two collections) was a join of the report with both
/// task sets, sorted to group the rows: about a tenth of the host's CPU per action (its query pipeline
/// and shaper several times the reading itself), and PostgreSQL started a sort, three nested loops
/// and a subplan for each one. Here the report is one lookup by key, the tasks one index range.
/// </para>
/// <para>
/// Attaching needs a context that tracks nothing yet: otherwise a row
/// it tracks would be met twice, and EF Core's query, which resolves the row to the tracked instance,
/// is used instead.
/// </para>
/// </summary>
internal static class ReportRows
{
    public sealed record Loaded(ProgressReport Report, string? Title, List<WorkTask> OpenTasks, List<Guid> PostReviews);

    private sealed record Text(string ReportSql, string TasksSql, RelationalTypeMapping Id, RelationalTypeMapping User, RowReader<ProgressReport> Reports, RowReader<WorkTask> Tasks);

    private static readonly ConcurrentDictionary<IModel, Text> Texts = new();

    /// <summary>Whether <see cref="ReadAsync"/> may serve this load: it attaches to a context that tracks nothing.</summary>
    public static bool Serves(DbContext db, bool tracking)
    {
        if (!tracking)
        {
            return true;
        }

        var detect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            return !db.ChangeTracker.Entries().Any();
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detect;
        }
    }

    public static async Task<Loaded?> ReadAsync(DbContext db, Guid id, string userId, bool tracking, CancellationToken cancellationToken)
    {
        var postgres = db.Database.OnPostgres();
        var text = Texts.GetOrAdd(db.Model, _ => Build(db, postgres));
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = db.Database.GetDbConnection();
            var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            Loaded? loaded;
            if (postgres)
            {
                await using var factory = connection.CreateCommand();
                await using var batch = new NpgsqlBatch((NpgsqlConnection)connection, (NpgsqlTransaction?)transaction);
                var report = new NpgsqlBatchCommand(text.ReportSql);
                report.Parameters.Add(text.Id.CreateParameter(factory, string.Empty, id, nullable: false));
                var tasks = new NpgsqlBatchCommand(text.TasksSql);
                tasks.Parameters.Add(text.Id.CreateParameter(factory, string.Empty, id, nullable: false));
                tasks.Parameters.Add(text.User.CreateParameter(factory, string.Empty, userId, nullable: false));
                batch.BatchCommands.Add(report);
                batch.BatchCommands.Add(tasks);
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                loaded = await ReadRowsAsync(reader, text, cancellationToken);
            }
            else
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = text.ReportSql + ";\n" + text.TasksSql;
                command.Parameters.Add(text.Id.CreateParameter(command, "@id", id, nullable: false));
                command.Parameters.Add(text.User.CreateParameter(command, "@user", userId, nullable: false));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                loaded = await ReadRowsAsync(reader, text, cancellationToken);
            }

            if (loaded is not null && tracking)
            {
                db.Attach(loaded.Report);
                foreach (var task in loaded.OpenTasks)
                {
                    db.Attach(task);
                }
            }

            return loaded;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>The two statements as sent on this context's provider: the report's, then the tasks'.</summary>
    internal static (string Report, string Tasks) Statements(DbContext db)
    {
        var text = Texts.GetOrAdd(db.Model, _ => Build(db, db.Database.OnPostgres()));
        return (text.ReportSql, text.TasksSql);
    }

    private static async Task<Loaded?> ReadRowsAsync(DbDataReader reader, Text text, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        var report = text.Reports.Read(reader, 0);
        var title = reader.IsDBNull(text.Reports.Columns.Count) ? null : reader.GetString(text.Reports.Columns.Count);
        await reader.NextResultAsync(cancellationToken);
        var open = new List<WorkTask>();
        var postReviews = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var task = text.Tasks.Read(reader, 0);
            if (task.Kind == WorkTaskKind.Action)
            {
                open.Add(task);
            }
            else
            {
                postReviews.Add(task.Id);
            }
        }

        return new Loaded(report, title, open, postReviews);
    }

    private static Text Build(DbContext db, bool postgres)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
        var reports = RowReader<ProgressReport>.For(db);
        var tasks = RowReader<WorkTask>.For(db);
        var reportType = db.Model.FindEntityType(typeof(ProgressReport))!;
        var taskType = db.Model.FindEntityType(typeof(WorkTask))!;
        var measureType = db.Model.FindEntityType(typeof(Plan.Measure))!;
        string Table(IEntityType type) => sql.DelimitIdentifier(type.GetTableName()!, type.GetSchema());
        string Column(IEntityType type, string property) =>
            sql.DelimitIdentifier(type.FindProperty(property)!.GetColumnName(StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema()))!);
        var id = postgres ? "$1" : "@id";
        var user = postgres ? "$2" : "@user";
        return new Text(
            $"SELECT {reports.Select("p", sql)}, (SELECT m.{Column(measureType, nameof(Plan.Measure.Title))} FROM {Table(measureType)} AS m " +
            $"WHERE m.{Column(measureType, nameof(Plan.Measure.Id))} = p.{Column(reportType, nameof(ProgressReport.MeasureId))}) " +
            $"FROM {Table(reportType)} AS p WHERE p.{Column(reportType, nameof(ProgressReport.Id))} = {id}",
            $"SELECT {tasks.Select("w", sql)} FROM {Table(taskType)} AS w " +
            $"WHERE w.{Column(taskType, nameof(WorkTask.ReportId))} = {id} AND w.{Column(taskType, nameof(WorkTask.State))} = '{WorkTaskState.Open}' " +
            $"AND (w.{Column(taskType, nameof(WorkTask.Kind))} = '{WorkTaskKind.Action}' " +
            $"OR (w.{Column(taskType, nameof(WorkTask.Kind))} = '{WorkTaskKind.PostReview}' AND w.{Column(taskType, nameof(WorkTask.AssigneeUserId))} = {user})) " +
            $"ORDER BY w.{Column(taskType, nameof(WorkTask.Id))}",
            reportType.FindProperty(nameof(ProgressReport.Id))!.GetRelationalTypeMapping(),
            taskType.FindProperty(nameof(WorkTask.AssigneeUserId))!.GetRelationalTypeMapping(),
            reports,
            tasks);
    }
}
