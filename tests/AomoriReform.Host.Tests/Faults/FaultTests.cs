using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit.Abstractions;

namespace AomoriReform.Tests.Faults;

/// <summary>
/// Faults injected under the approvals load, on real PostgreSQL and RabbitMQ: the broker stopped, the
/// database restarted, three hosts sharing the load with one killed. Each case ends with the same
/// invariants (<see cref="ApprovalLoad.AssertConsistentAsync"/>). A broker or a database that a test
/// stops is one of its own (<see cref="DedicatedRabbitMq"/>, <see cref="DedicatedPostgres"/>), so the
/// other tests' services never notice.
/// </summary>
[Collection(SharedHost.Name)]
public sealed partial class FaultTests(ITestOutputHelper output)
{
    [Fact]
    public Task Actions_are_accepted_while_the_broker_is_stopped_and_every_event_arrives_when_it_returns() => BrokerStoppedAsync(TimeSpan.FromSeconds(10), output);

    /// <summary>The issue's full minute: <c>bash infra/test.sh --long</c>.</summary>
    [Fact]
    [Trait("Category", "Long")]
    public Task Actions_are_accepted_while_the_broker_is_stopped_for_a_minute() => BrokerStoppedAsync(TimeSpan.FromSeconds(60), output);

    [Fact]
    public async Task A_database_restart_under_load_answers_503_at_once_and_the_host_recovers_by_itself()
    {
        await using var postgres = await DedicatedPostgres.LaunchAsync();
        await using var host = await RunningHost.StartAsync(Environment(postgres.ConnectionString, TestServices.RabbitMq, $"f{Guid.NewGuid():N}"[..13], quorum: false));
        // A request that waited for the database to come back would take longer than this: it must not.
        using var load = new ApprovalLoad([host.BaseAddress], requestTimeout: TimeSpan.FromSeconds(10));
        await load.PrepareAsync();

        // Stopped (pg_ctl stop -m fast: every session ended) as soon as the approvals and the
        // acceptances have begun, down for 5 s while the clients keep asking, started again.
        var cookie = await SignInThroughPagesAsync(host.BaseAddress, host.BaseAddress, "hq.reviewer@demo.local");
        var duringOutage = 0;
        var pagesDuringOutage = new List<string>();
        async Task RestartAsync()
        {
            var before = load.Unavailable;
            await postgres.StopServerAsync();
            // A person in the browser gets the "temporarily unavailable" page, not an error 500, every time.
            for (var i = 0; i < 5; i++)
            {
                pagesDuringOutage.Add(await PageAsync(host.BaseAddress, cookie));
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            duringOutage += load.Unavailable - before;
            await postgres.StartServerAsync();
        }

        await load.RunAsync(null, new(RestartAsync, At: 0.05), new(RestartAsync, At: 0.05));

        output.WriteLine($"{load.Done} actions acknowledged; {load.Unavailable} answers of 503 ({duringOutage} while the database was down), {load.TimedOut} without an answer in 10 s");
        Assert.True(duringOutage > 0, "no request was answered 503 while the database was down");
        Assert.Equal(10, pagesDuringOutage.Count);
        Assert.All(pagesDuringOutage, page =>
        {
            Assert.StartsWith("503 ", page, StringComparison.Ordinal);
            Assert.True(page.Contains("一時的に利用できません", StringComparison.Ordinal), $"a page while the database was down: {page}");
        });
        Assert.Equal(0, load.TimedOut);
        await load.AssertConsistentAsync(() => PendingOutboxAsync(postgres.ConnectionString));
        // The host served on without a restart: its first and only start is in its log.
        Assert.DoesNotContain("--- killed", host.Tail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_embedded_disk_fills_up_actions_answer_503_and_the_host_recovers_when_space_returns()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Embedded);
        var file = Path.Combine(database.DataDirectory!, "aomori-reform.db");
        // A small file system of the test's own (tmpfs; the test runs as root, as the test command does).
        await using var disk = await SmallDisk.MountAsync(new FileInfo(file).Length + (48L << 20));
        File.Copy(file, Path.Combine(disk.Path, "aomori-reform.db"));
        await using var host = await RunningHost.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Postgres"] = string.Empty,
            ["ConnectionStrings__RabbitMq"] = string.Empty,
            ["Storage__DataDirectory"] = disk.Path,
            ["Demo__Password"] = ReformApp.DemoPassword,
            ["Identity__LoginsPerClientPerMinute"] = "10000",
            ["Identity__LoginsPerAccountPerMinute"] = "10000",
        });
        using var load = new ApprovalLoad([host.BaseAddress]);
        await load.PrepareAsync();

        // Full as soon as the approvals begin; space returns once the clients have seen 503s for a while.
        var duringFull = 0;
        var ready = string.Empty;
        await load.RunAsync(null, new(async () =>
        {
            var before = load.Unavailable;
            await disk.FillAsync();
            await Eventually.Get(() => Task.FromResult(load.Unavailable - before), n => n >= 20, TimeSpan.FromSeconds(60), "actions to be answered 503 on a full disk");
            duringFull = load.Unavailable - before;
            using var probe = new HttpClient { BaseAddress = host.BaseAddress };
            using var answer = await probe.GetAsync("/health/ready");
            ready = $"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}";
            disk.Free();
        }, At: 0.05));

        output.WriteLine($"{load.Done} actions acknowledged; {duringFull} answers of 503 while the disk was full; /health/ready said {ready}");
        Assert.True(duringFull >= 20);
        // Readiness warns (Degraded) but stays 200: reads still work while writes wait for space.
        Assert.Contains("\"storage\":{\"status\":\"Degraded\"}", ready, StringComparison.Ordinal);
        await load.AssertConsistentAsync(async () =>
        {
            await using var db = new AomoriReform.Workflows.Persistence.SqliteReformDbContext(AomoriReform.Workflows.Persistence.PersistenceExtensions.ConfigureSqlite(
                new DbContextOptionsBuilder<AomoriReform.Workflows.Persistence.SqliteReformDbContext>(), $"Data Source={Path.Combine(disk.Path, "aomori-reform.db")}").Options);
            return await db.OutboxMessages.CountAsync(m => m.SentAt == null);
        });
    }

    [Fact]
    public async Task Three_hosts_share_the_load_one_is_killed_and_the_others_carry_on()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        var prefix = $"m{Guid.NewGuid():N}"[..13];
        try
        {
            var environment = Environment(database.PostgresConnectionString!, TestServices.RabbitMq, prefix, quorum: true);
            // Every host's Hangfire runs the reminder sweep every five seconds through the load.
            environment["Reminders__SweepSchedule"] = "*/5 * * * * *";
            var hosts = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => RunningHost.StartAsync(environment)));
            try
            {
                await ThreeHostsAsync(hosts, database, output);
            }
            finally
            {
                foreach (var host in hosts)
                {
                    await host.DisposeAsync();
                }
            }
        }
        finally
        {
            await AomoriReform.Tests.Operations.QuorumQueueTests.DeleteQueuesAsync(prefix);
        }
    }

    private static async Task ThreeHostsAsync(RunningHost[] hosts, TestDatabase database, ITestOutputHelper output)
    {
        using var load = new ApprovalLoad(hosts.Select(h => h.BaseAddress));

        // The yearly check-in, asked of all three at once, opens once.
        var admin = await load.TokenOfAsync("hq.admin");
        var opened = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var client = new HttpClient { BaseAddress = hosts[i % 3].BaseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", admin);
            using var response = await client.PostAsync("/api/checkins", System.Net.Http.Json.JsonContent.Create(new { fiscalYear = 2025, dueDate = "2026-05-29" }));
            return response.StatusCode;
        }));
        Assert.Equal(1, opened.Count(s => s == HttpStatusCode.Created));
        Assert.All(opened.Where(s => s != HttpStatusCode.Created), s => Assert.Equal(HttpStatusCode.Conflict, s));
        await load.PrepareAsync(openCheckIn: false);

        // A page's form fetched from one host posts to another; its cookie works on the third.
        var cookie = await SignInThroughPagesAsync(hosts[0].BaseAddress, hosts[1].BaseAddress, "hq.reviewer@demo.local");
        Assert.Equal(HttpStatusCode.OK, await PageStatusAsync(hosts[2].BaseAddress, cookie));

        // One host killed halfway through the approvals and left down; started again halfway through the acceptances.
        await load.RunAsync(null, new(() => hosts[2].KillAsync()), new(() => hosts[2].RestartAsync()));

        output.WriteLine($"{load.Done} actions acknowledged over three hosts, one killed and restarted");
        await load.AssertConsistentAsync(async () =>
        {
            await using var db = database.CreateContext();
            return await db.OutboxMessages.CountAsync(m => m.SentAt == null);
        });
        // The cookie and the token issued before the restart work on the restarted host.
        Assert.Equal(HttpStatusCode.OK, await PageStatusAsync(hosts[2].BaseAddress, cookie));
        using var restarted = new HttpClient { BaseAddress = hosts[2].BaseAddress };
        restarted.DefaultRequestHeaders.Authorization = new("Bearer", admin);
        Assert.Equal(HttpStatusCode.OK, (await restarted.GetAsync("/api/me")).StatusCode);
        await using var check = database.CreateContext();
        Assert.Equal(1, await check.CheckIns.CountAsync());
        await EachEscalationOnceAsync(database, output);
    }

    /// <summary>
    /// The check-in fell due in May 2026, so every staff task it opened owes both escalations; the
    /// three hosts' sweeps, every five seconds from their start, sent each once: one record, one
    /// event and its notifications each; and every task open now and long overdue has both.
    /// </summary>
    private static async Task EachEscalationOnceAsync(TestDatabase database, ITestOutputHelper output)
    {
        await using var db = database.CreateContext();
        // Tasks of a later step fall due some days after they open; two weeks past due, both escalations are owed.
        var longOverdue = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-14);
        var openTasks = await db.WorkTasks.Where(t => t.State == AomoriReform.Workflows.Engine.WorkTaskState.Open && t.DueDate < longOverdue).Select(t => t.Id).ToListAsync();
        await Eventually.Get(
            () => db.SentReminders.CountAsync(s => openTasks.Contains(s.TaskId) && s.Kind == AomoriReform.Workflows.Reminders.NotificationKind.Escalation),
            n => n == 2 * openTasks.Count, TimeSpan.FromSeconds(60), $"both escalations of the {openTasks.Count} open tasks");
        var records = await db.SentReminders.CountAsync(s => s.Kind == AomoriReform.Workflows.Reminders.NotificationKind.Escalation);
        var events = await db.OutboxMessages.Where(m => m.MessageType.EndsWith(".TaskEscalated")).Select(m => m.Payload).ToListAsync();
        var recipients = events.Sum(e => System.Text.Json.JsonDocument.Parse(e).RootElement.GetProperty("recipients").GetInt32());
        var notifications = await db.Notifications.CountAsync(n => n.Kind == AomoriReform.Workflows.Reminders.NotificationKind.Escalation);
        output.WriteLine($"reminder sweeps on three hosts: {records} escalations of {await db.SentReminders.Select(s => s.TaskId).Distinct().CountAsync()} tasks, {events.Count} events, {notifications} notifications; {openTasks.Count} tasks open at the end and long overdue");
        Assert.True(records > 2 * openTasks.Count, $"{records} escalations: the sweeps did not run during the load");
        Assert.Equal(records, events.Count);
        Assert.Equal(recipients, notifications);
    }

    private static async Task BrokerStoppedAsync(TimeSpan outage, ITestOutputHelper output)
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        await using var broker = await DedicatedRabbitMq.LaunchAsync();
        await using var host = await RunningHost.StartAsync(Environment(database.PostgresConnectionString!, broker.ConnectionString, "fault", quorum: true));
        using var load = new ApprovalLoad([host.BaseAddress], patience: outage + TimeSpan.FromSeconds(120));
        await load.PrepareAsync();

        // Stopped halfway through the submissions; the approvals all run while it is down; started
        // again halfway through the acceptances, once the outage has lasted its time.
        var stopped = DateTime.MinValue;
        var doneAtStop = 0;
        var acceptedDuringOutage = 0;
        var backlogDuringOutage = 0;
        await load.RunAsync(
            new(async () =>
            {
                await broker.StopAsync();
                stopped = DateTime.UtcNow;
                doneAtStop = load.Done;
            }),
            null,
            new(async () =>
            {
                var left = outage - (DateTime.UtcNow - stopped);
                if (left > TimeSpan.Zero)
                {
                    await Task.Delay(left);
                }

                acceptedDuringOutage = load.Done - doneAtStop;
                backlogDuringOutage = await PendingOutboxAsync(database.PostgresConnectionString!);
                await broker.StartAsync();
            }));

        output.WriteLine($"{load.Done} actions acknowledged, {acceptedDuringOutage} of them while the broker was down for {outage.TotalSeconds:0} s; outbox backlog {backlogDuringOutage} before the broker returned");
        Assert.True(acceptedDuringOutage >= 10, $"{acceptedDuringOutage} actions acknowledged while the broker was down");
        Assert.True(backlogDuringOutage > 0, "the outbox held nothing while the broker was down");
        Assert.Equal(0, load.Unavailable);
        await load.AssertConsistentAsync(() => PendingOutboxAsync(database.PostgresConnectionString!));
    }

    private static Dictionary<string, string> Environment(string postgres, string rabbitMq, string prefix, bool quorum) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ConnectionStrings__Postgres"] = postgres,
        ["ConnectionStrings__RabbitMq"] = rabbitMq,
        ["Messaging__EndpointPrefix"] = prefix,
        [quorum ? "Messaging__QuorumQueues" : "Messaging__TemporaryQueues"] = "true",
        ["Journal__Key"] = ReformApp.JournalKey,
        ["Demo__Password"] = ReformApp.DemoPassword,
        ["Identity__LoginsPerClientPerMinute"] = "10000",
        ["Identity__LoginsPerAccountPerMinute"] = "10000",
    };

    private static async Task<int> PendingOutboxAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Opens the sign-in page on one host and posts its form (antiforgery token included) to another; returns the sign-in cookie.</summary>
    private static async Task<string> SignInThroughPagesAsync(Uri formFrom, Uri postTo, string email)
    {
        var cookies = new CookieContainer();
        using var handler = new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false };
        using var client = new HttpClient(handler);
        var page = await client.GetStringAsync(new Uri(formFrom, "/signin"));
        var fields = HiddenInput().Matches(page).ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));
        Assert.Contains("__RequestVerificationToken", fields.Keys);
        fields["Form.Email"] = email;
        fields["Form.Password"] = ReformApp.DemoPassword;
        // The antiforgery cookie was set for the first host's address; the same browser would send it to the second.
        foreach (Cookie c in cookies.GetCookies(formFrom))
        {
            cookies.Add(postTo, new Cookie(c.Name, c.Value, "/"));
        }

        using var posted = await client.PostAsync(new Uri(postTo, "/signin"), new FormUrlEncodedContent(fields));
        Assert.True(posted.StatusCode == HttpStatusCode.Redirect, $"sign-in post: {(int)posted.StatusCode} {await posted.Content.ReadAsStringAsync()}");
        var signedIn = cookies.GetCookies(postTo).Where(c => c.Name.Contains("Identity", StringComparison.OrdinalIgnoreCase) || c.Name.Contains("Auth", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.NotEmpty(signedIn);
        return string.Join("; ", signedIn.Select(c => $"{c.Name}={c.Value}"));
    }

    /// <summary>The inbox page's status with the cookie (a missing or unreadable cookie redirects to sign-in).</summary>
    private static async Task<HttpStatusCode> PageStatusAsync(Uri host, string cookie) =>
        (HttpStatusCode)int.Parse((await PageAsync(host, cookie)).Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The inbox page with the cookie: its status code, a space, and its HTML.</summary>
    private static async Task<string> PageAsync(Uri host, string cookie)
    {
        using var handler = new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false };
        using var client = new HttpClient(handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host, "/inbox"));
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);
        return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]+)\" value=\"(?<value>[^\"]*)\"")]
    private static partial Regex HiddenInput();
}
