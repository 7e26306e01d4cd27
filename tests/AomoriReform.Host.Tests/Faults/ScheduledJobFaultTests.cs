using AomoriReform.Workflows.Engine;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace AomoriReform.Tests.Faults;

/// <summary>
/// The scheduled jobs' process killed (SIGKILL) in the middle of its work, run through the operator
/// command <c>run-job</c> (the same job code Hangfire's worker runs). The test makes "the middle"
/// certain rather than lucky: it takes a lock on the table the job writes next, waits until the job
/// is blocked inside its transaction, kills it there, and lets go.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class ScheduledJobFaultTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_check_in_opening_killed_midway_leaves_nothing_and_the_next_run_opens_it_once_and_whole()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        var environment = Environment(database);
        // The demo organisation and plan are seeded by the first start; the job needs them.
        Assert.Equal(0, (await HostProcess.RunAsync(environment, "migrate")).ExitCode);
        int events;
        await using (var db = database.CreateContext())
        {
            events = await db.OutboxMessages.CountAsync();
        }

        await KillWhileBlockedAsync(database, environment, "yearly-check-in", "progress_reports", "LOCK TABLE progress_reports IN SHARE MODE");
        await using (var db = database.CreateContext())
        {
            Assert.Equal(0, await db.CheckIns.CountAsync());
            Assert.Equal(0, await db.ProgressReports.CountAsync());
            Assert.Equal(0, await db.WorkTasks.CountAsync());
            Assert.Equal(events, await db.OutboxMessages.CountAsync());
        }

        // Two runs at once, as two hosts' daily jobs would: one opens, the other finds it open.
        var runs = await Task.WhenAll(HostProcess.RunAsync(environment, "run-job", "--job", "yearly-check-in"), HostProcess.RunAsync(environment, "run-job", "--job", "yearly-check-in"));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Error));
        await using (var db = database.CreateContext())
        {
            var measures = await db.Measures.CountAsync();
            var checkIn = await db.CheckIns.SingleAsync();
            Assert.Equal((2025, measures), (checkIn.FiscalYear, checkIn.ReportsOpened));
            Assert.Equal(measures, await db.ProgressReports.CountAsync(r => r.FiscalYear == 2025));
            Assert.Equal(measures, await db.WorkTasks.CountAsync(t => t.State == WorkTaskState.Open));
        }
    }

    [Fact]
    public async Task A_reminder_sweep_killed_midway_sends_each_reminder_once_when_it_runs_again()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        var environment = Environment(database);
        // FY2025's check-in falls due on 31 May 2026; from 8 June every open task owes both escalations.
        var opened = await HostProcess.RunAsync(environment, "run-job", "--job", "yearly-check-in");
        Assert.True(opened.ExitCode == 0, opened.Error);
        int openTasks;
        await using (var db = database.CreateContext())
        {
            openTasks = await db.WorkTasks.CountAsync(t => t.State == WorkTaskState.Open);
        }

        // The sweep records its escalations in batches, every first escalation before any second. A second
        // escalation recorded by an open transaction of the test's own makes the sweep wait on that key in a
        // later batch, after its first batch committed.
        var sentBeforeKill = await KillWhileBlockedAsync(database, environment, "reminder-sweep", "sent_reminders",
            "INSERT INTO sent_reminders (task_id, kind, key, sent_at) SELECT id, 'Escalation', 2, now() FROM work_tasks WHERE state = 'Open' ORDER BY id LIMIT 1");
        Assert.InRange(sentBeforeKill, 5, (2 * openTasks) - 1);

        // Run again, twice at once (two hosts' sweeps): the rest is sent, nothing twice.
        var runs = await Task.WhenAll(HostProcess.RunAsync(environment, "run-job", "--job", "reminder-sweep"), HostProcess.RunAsync(environment, "run-job", "--job", "reminder-sweep"));
        Assert.All(runs, r => Assert.True(r.ExitCode == 0, r.Error));
        await using (var db = database.CreateContext())
        {
            Assert.Equal(2 * openTasks, await db.SentReminders.CountAsync());
            Assert.Equal(openTasks, await db.SentReminders.Select(s => s.TaskId).Distinct().CountAsync());
            Assert.Equal(2 * openTasks, await db.OutboxMessages.CountAsync(m => m.MessageType.Contains("TaskEscalated")));
            var twice = await db.Notifications.GroupBy(n => new { n.UserId, n.ReportId, n.Text }).CountAsync(g => g.Count() > 1);
            Assert.Equal(0, twice);
            output.WriteLine($"{openTasks} open tasks: {sentBeforeKill} escalations sent before the kill, {2 * openTasks} in all, {await db.Notifications.CountAsync()} notifications, none twice");
        }

        var again = await HostProcess.RunAsync(environment, "run-job", "--job", "reminder-sweep");
        Assert.Contains("0 reminder(s)", again.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Blocks the job's next write before it starts (<paramref name="block"/> runs in a transaction
    /// held open), starts the job, waits until it waits on that lock inside its transaction, kills it
    /// (SIGKILL), and rolls the block back. Returns the committed rows of <paramref name="table"/> at the kill.
    /// </summary>
    private async Task<int> KillWhileBlockedAsync(TestDatabase database, Dictionary<string, string> environment, string job, string table, string block)
    {
        await using var locker = new NpgsqlConnection(database.PostgresConnectionString);
        await locker.OpenAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand(block, locker, transaction))
        {
            await take.ExecuteNonQueryAsync();
        }

        using var process = HostProcess.Start(environment, "run-job", "--job", job);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Asked on another connection: inside a transaction the statistics views answer from one snapshot.
        const string Waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND xact_start IS NOT NULL";
        await using var watcher = new NpgsqlConnection(database.PostgresConnectionString);
        await watcher.OpenAsync();
        await Eventually.Get(() => ScalarAsync(watcher, Waiting), n => n > 0 || process.HasExited, TimeSpan.FromSeconds(60), $"{job} to wait on the lock");
        Assert.False(process.HasExited, $"{job} ended before it could be stopped midway: {await stdout}{await stderr}");
        var rows = await ScalarAsync(watcher, $"SELECT count(*) FROM {table}");
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        await transaction.RollbackAsync();
        output.WriteLine($"{job}: killed while blocked inside its transaction, {rows} rows of {table} written before");
        return rows;
    }

    private static async Task<int> ScalarAsync(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Dictionary<string, string> Environment(TestDatabase database) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ConnectionStrings__Postgres"] = database.PostgresConnectionString!,
        ["Demo__Password"] = ReformApp.DemoPassword,
    };
}
