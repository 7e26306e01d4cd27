using System.Collections.Concurrent;
using System.Data.Common;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Persistence;

/// <summary>
/// SQLite plans without statistics, so an index's columns alone decide what it reads (a tie goes
/// to the index created last). Every
/// statement an action and a report's view send that looks up a report's tasks must find them by
/// the report, not by reading every open task of a kind: that made each action's cost grow with
/// the year's reports (3.7 ms per load at 30,000 open tasks instead of 4 us).
/// </summary>
public sealed partial class QueryPlanTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Sql, (string Name, object? Value)[] Parameters)> statements = new();
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(Profile.Embedded, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero),
            configure: s => s.AddSingleton<IInterceptor>(new Recorder(statements)));
        await services.ImportSamplesAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,行政経営管理課長 三郎,gyosei-keiei,SectionChief\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n");
        // Without statistics SQLite breaks a tie between two indexes by which was created last: make the
        // indexes these statements must not use the newest, so only a better index, not the order, wins.
        await services.Db(db => db.Database.ExecuteSqlRawAsync(
            "DROP INDEX ix_work_tasks_post_reviews; CREATE INDEX ix_work_tasks_post_reviews ON work_tasks (state, due_date) WHERE kind = 'PostReview';" +
            "DROP INDEX ix_work_tasks_assignee_user_id_state_due_date; CREATE INDEX ix_work_tasks_assignee_user_id_state_due_date ON work_tasks (assignee_user_id, state, due_date) WHERE assignee_user_id IS NOT NULL;"));
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task An_actions_statements_find_the_reports_tasks_by_the_report()
    {
        var id = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        statements.Clear();
        var version = 1;
        foreach (var (who, action) in new[] { ("staff", ReportAction.Submit), ("chief", ReportAction.Approve), ("hq", ReportAction.Accept) })
        {
            var caller = await As(who);
            await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.GetAsync(id, caller, CancellationToken.None)).OkAsync();
            var view = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, action, version, null, caller, null, CancellationToken.None)).OkAsync();
            version = view.Version;
        }

        // The loads and views read the report and its tasks by hand (ReportRows), past EF Core's interceptors:
        // their statement is planned here as sent, with whatever else the actions sent through EF Core.
        var load = await services.Db(db => Task.FromResult(ReportRows.Statements(db).Tasks));
        var byReport = statements.Where(s => s.Sql.Contains("\"work_tasks\"", StringComparison.Ordinal) && s.Sql.Contains("\"report_id\"", StringComparison.Ordinal)
            && s.Sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
            .Append((load, [("@id", id.ToString().ToUpperInvariant()), ("@user", "someone")])).ToList();
        foreach (var (sql, parameters) in byReport)
        {
            var plan = await services.Db(db => PlanAsync(db, sql, parameters));
            AssertTasksFoundBy(plan, sql, "ix_work_tasks_report_id_state_kind");
        }
    }

    [Theory]
    [InlineData("staff")]
    [InlineData("chief")]
    [InlineData("hq")]
    public async Task The_inbox_finds_the_callers_tasks_by_their_groups_and_their_own_post_reviews(string who)
    {
        var caller = await As(who);
        statements.Clear();
        var page = await services.In<ReportQueries, Page<InboxItem>>(q => q.InboxAsync(caller, InboxFilter.None, new Paging(1, 20), CancellationToken.None));
        var count = await services.In<ReportQueries, int>(q => q.CountInboxAsync(caller, CancellationToken.None));
        Assert.Equal(count, page.Total);

        var inbox = statements.Where(s => s.Sql.Contains("\"work_tasks\"", StringComparison.Ordinal)).ToList();
        Assert.True(inbox.Count >= 3, $"expected the page, its count and the navigation's count; saw {inbox.Count}");
        foreach (var (sql, parameters) in inbox)
        {
            var plan = await services.Db(db => PlanAsync(db, sql, parameters));
            // The group arm by the inbox index, the personal 後閲 arm by the person's.
            AssertTasksFoundBy(plan, sql, "ix_work_tasks_inbox", "ix_work_tasks_assignee_user_id_state_due_date");
        }
    }

    /// <summary>Every read of the tasks in a plan is a search through one of the given indexes (a scan, or another index, reads tasks that are not wanted).</summary>
    private static void AssertTasksFoundBy(List<string> plan, string sql, params string[] indexes)
    {
        // The tasks' reads: aliased w, w0, w1 (each arm of a UNION has its own), or named.
        var reads = plan.Where(line => TaskRead().IsMatch(line) || line.Contains(" work_tasks", StringComparison.Ordinal)).ToList();
        Assert.True(reads.Count > 0, "no read of the tasks in the plan:\n" + string.Join('\n', plan) + "\n" + sql);
        Assert.True(reads.All(line => line.StartsWith("SEARCH", StringComparison.Ordinal) && indexes.Any(i => line.Contains($"INDEX {i} (", StringComparison.Ordinal))),
            "the tasks were read through another index or scanned:\n" + string.Join('\n', plan) + "\n" + sql);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(SCAN|SEARCH) w\d* ")]
    private static partial System.Text.RegularExpressions.Regex TaskRead();

    private static async Task<List<string>> PlanAsync(ReformDbContext db, string sql, (string Name, object? Value)[] parameters)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(3));
        }

        return lines;
    }

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private sealed class Recorder(ConcurrentQueue<(string, (string, object?)[])> statements) : DbCommandInterceptor
    {
        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            statements.Enqueue((command.CommandText, [.. command.Parameters.Cast<DbParameter>().Select(p => (p.ParameterName, (object?)p.Value))]));
            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
