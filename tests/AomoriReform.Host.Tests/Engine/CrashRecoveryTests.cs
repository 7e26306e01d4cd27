using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Engine;

/// <summary>
/// The host as a real process, killed with SIGKILL twice under load and started again on the same
/// data: every acknowledged action's events must still reach the rollup, without a rebuild, and the
/// journal must hold each acknowledged action once. The embedded default (SQLite, in-memory bus) in
/// every run; PostgreSQL and RabbitMQ as a long test.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class CrashRecoveryTests
{
    private const int Clients = 8;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Report(Guid Id, string SectionCode, string DepartmentCode, string Route, string Status, int Version);

    private sealed record Step(string Who, string Action);

    [Fact]
    public async Task Rollups_converge_after_the_embedded_host_is_killed_twice_under_load()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Embedded);
        await KilledTwiceUnderLoadAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Postgres"] = string.Empty,
            ["ConnectionStrings__RabbitMq"] = string.Empty,
            ["Storage__DataDirectory"] = database.DataDirectory!,
            ["Demo__Password"] = ReformApp.DemoPassword,
            ["Identity__LoginsPerClientPerMinute"] = "10000",
            ["Identity__LoginsPerAccountPerMinute"] = "10000",
        }, database);
    }

    /// <summary>
    /// The same on PostgreSQL and RabbitMQ with durable quorum queues, as production runs it. Outside
    /// the default test run for its minute (<c>bash infra/test.sh --long</c> runs it).
    /// </summary>
    [Fact]
    [Trait("Category", "Long")]
    public async Task Rollups_converge_after_the_production_host_is_killed_twice_under_load()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        var prefix = $"c{Guid.NewGuid():N}"[..13];
        try
        {
            await KilledTwiceUnderLoadAsync(new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__Postgres"] = database.Settings()["ConnectionStrings:Postgres"]!,
                ["ConnectionStrings__RabbitMq"] = TestServices.RabbitMq,
                ["Messaging__EndpointPrefix"] = prefix,
                ["Messaging__QuorumQueues"] = "true",
                ["Journal__Key"] = ReformApp.JournalKey,
                ["Demo__Password"] = ReformApp.DemoPassword,
                ["Identity__LoginsPerClientPerMinute"] = "10000",
                ["Identity__LoginsPerAccountPerMinute"] = "10000",
            }, database);
        }
        finally
        {
            await AomoriReform.Tests.Operations.QuorumQueueTests.DeleteQueuesAsync(prefix);
        }
    }

    private static async Task KilledTwiceUnderLoadAsync(Dictionary<string, string> environment, TestDatabase database)
    {
        await using var host = await RunningHost.StartAsync(environment);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = host.BaseAddress,
            Timeout = TimeSpan.FromSeconds(20),
        };
        var tokens = new ConcurrentDictionary<string, Lazy<Task<string>>>(StringComparer.Ordinal);
        Task<string> TokenOf(string who) => tokens.GetOrAdd(who, w => new Lazy<Task<string>>(() => SignInAsync(http, w))).Value;

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, HttpMethod.Post, "/api/checkins", await TokenOf("hq.admin"), new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
        var reports = (await ReportsAsync(http, await TokenOf("hq.reviewer")))
            .Where(r => r.Route is "progress-report" or "progress-report-with-head")
            .ToList();
        Assert.True(reports.Count >= 60, $"{reports.Count} reports on the walked routes");
        // Everyone signs in up front: a sign-in is no action, and tokens outlive a restart.
        var actors = reports.SelectMany(r => new[] { $"{r.SectionCode}.staff", $"{r.SectionCode}.chief", $"{r.DepartmentCode}.head" }).Distinct().ToList();
        await Parallel.ForEachAsync(actors, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (who, _) => await TokenOf(who));

        // Three waves over every report (submit, then approve, then accept two thirds of them), so
        // that an event lost in a wave is not simply overwritten by the report's next event. The
        // host is killed halfway through the second and the third wave.
        var state = new ConcurrentDictionary<Guid, (string Status, int Version)>(reports.Select(r => KeyValuePair.Create(r.Id, (r.Status, r.Version))));
        var acknowledged = new ConcurrentBag<(Guid ReportId, string Action)>();
        var accepting = reports.Take(reports.Count * 2 / 3).Select(r => r.Id).ToHashSet();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);

        async Task WaveAsync(Func<Report, (string Status, int Version), Step?> next, int killAfter = -1)
        {
            var work = new ConcurrentQueue<Report>(reports);
            var done = 0;
            var killed = killAfter < 0 ? Task.CompletedTask : Task.Run(async () =>
            {
                await Eventually.Get(() => Task.FromResult(Volatile.Read(ref done)), d => d >= killAfter, TimeSpan.FromSeconds(60), "the wave to reach the kill point");
                await host.KillAsync();
                await host.RestartAsync();
            });
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
            {
                while (work.TryDequeue(out var report))
                {
                    while (next(report, state[report.Id]) is { } step)
                    {
                        var body = await ActAsync(http, await TokenOf(step.Who), report, step.Action, state[report.Id].Version, deadline, host);
                        state[report.Id] = (body.GetProperty("status").GetString()!, body.GetProperty("version").GetInt32());
                        acknowledged.Add((report.Id, step.Action));
                        Interlocked.Increment(ref done);
                    }
                }
            })));
            await killed;
        }

        await WaveAsync((r, s) => s.Status == "Draft" ? new Step($"{r.SectionCode}.staff", "submit") : null);
        await WaveAsync((r, s) => s.Status switch
        {
            "Submitted" => new Step($"{r.SectionCode}.chief", "approve"),
            "SectionApproved" when r.Route == "progress-report-with-head" => new Step($"{r.DepartmentCode}.head", "approve"),
            _ => null,
        }, killAfter: reports.Count / 2);
        await WaveAsync((r, s) => accepting.Contains(r.Id) && s.Status is "SectionApproved" or "DepartmentApproved" ? new Step("hq.reviewer", "accept") : null, killAfter: accepting.Count / 2);
        Assert.True(acknowledged.Count >= 200, $"{acknowledged.Count} acknowledged actions");

        // The rollups agree with the reports, without a rebuild.
        var reviewer = await TokenOf("hq.reviewer");
        var difference = await Eventually.Get(
            () => DifferenceAsync(http, reviewer),
            d => d.Length == 0,
            TimeSpan.FromSeconds(60),
            "the rollups to agree with the reports");
        Assert.Equal(string.Empty, difference);

        // The journal verifies, and every acknowledged action is in the history exactly once.
        var verified = await GetAsync<JsonElement>(http, "/api/audit/verify", await TokenOf("hq.admin"));
        Assert.True(verified.GetProperty("valid").GetBoolean(), verified.ToString());
        var byReport = acknowledged.ToLookup(a => a.ReportId, a => a.Action);
        foreach (var report in reports)
        {
            var history = (await GetAsync<JsonElement>(http, $"/api/reports/{report.Id}/history", reviewer)).EnumerateArray().Select(h => h.GetProperty("action").GetString()!).ToList();
            Assert.Equal(new[] { "open" }.Concat(byReport[report.Id].OrderBy(Rank)).ToList(), history);
        }

        // Every outbox row ends delivered: each consumer recorded each message it takes.
        await using var db = database.CreateContext();
        var pending = await Eventually.Get(() => db.OutboxMessages.CountAsync(m => m.SentAt == null), n => n == 0, TimeSpan.FromSeconds(30), "the outbox to be delivered");
        Assert.Equal(0, pending);
    }

    private static int Rank(string action) => action switch
    {
        "submit" => 0,
        "approve" => 1,
        _ => 2,
    };

    /// <summary>
    /// Posts an action with an Idempotency-Key; a request that dies with the host is sent again with
    /// the same key until the host answers, so an action that committed before the kill is answered
    /// from its record and never done twice.
    /// </summary>
    private static async Task<JsonElement> ActAsync(HttpClient http, string token, Report report, string action, int version, DateTime deadline, RunningHost host)
    {
        var key = Guid.NewGuid().ToString();
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/reports/{report.Id}/{action}") { Content = JsonContent.Create(new { version, comment = "確認" }) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Add("Idempotency-Key", key);
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action} {report.Id}: {(int)response.StatusCode} {body}");
                    return JsonDocument.Parse(body).RootElement.Clone();
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                // The host is down (killed) or starting; the outcome is unknown, so ask again.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up on {action} of {report.Id}; host output:\n{host.Tail}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>What differs between the live rollups and the counts of the reports themselves, by section and by department.</summary>
    private static async Task<string> DifferenceAsync(HttpClient http, string token)
    {
        var reports = await ReportsAsync(http, token);
        var lines = new List<string>();
        foreach (var (by, keyOf) in new (string, Func<Report, string>)[] { ("section", r => r.SectionCode), ("department", r => r.DepartmentCode) })
        {
            var expected = reports.GroupBy(keyOf).ToDictionary(g => g.Key, Counts, StringComparer.Ordinal);
            var live = (await GetAsync<JsonElement>(http, $"/api/rollups?fiscalYear=2025&by={by}", token)).EnumerateArray()
                .ToDictionary(
                    row => row.GetProperty("key").GetString()!,
                    row => string.Join(' ', new[] { "total", "draft", "returned", "submitted", "sectionApproved", "accepted", "otherSteps" }.Select(c => $"{c}={row.GetProperty(c).GetInt32()}")),
                    StringComparer.Ordinal);
            foreach (var key in expected.Keys.Union(live.Keys).Order(StringComparer.Ordinal))
            {
                var want = expected.GetValueOrDefault(key, "none");
                var got = live.GetValueOrDefault(key, "none");
                if (want != got && !(want == "none" && got.StartsWith("total=0 ", StringComparison.Ordinal)))
                {
                    lines.Add($"{by} {key}: reports say {want}, rollup says {got}");
                }
            }
        }

        return string.Join('\n', lines);
    }

    private static string Counts(IEnumerable<Report> group)
    {
        var list = group.ToList();
        int Count(string status) => list.Count(r => r.Status == status);
        var known = new[] { "Draft", "Returned", "Submitted", "SectionApproved", "Accepted" };
        return $"total={list.Count} draft={Count("Draft")} returned={Count("Returned")} submitted={Count("Submitted")} "
            + $"sectionApproved={Count("SectionApproved")} accepted={Count("Accepted")} otherSteps={list.Count(r => !known.Contains(r.Status))}";
    }

    private sealed record ReportPage(List<Report> Items, int Total);

    private static async Task<List<Report>> ReportsAsync(HttpClient http, string token)
    {
        var page = await GetAsync<ReportPage>(http, "/api/reports?fiscalYear=2025&pageSize=500", token);
        Assert.Equal(page.Total, page.Items.Count);
        return page.Items;
    }

    private static async Task<string> SignInAsync(HttpClient http, string who)
    {
        var response = await SendAsync(http, HttpMethod.Post, "/api/auth/login", null, new { email = $"{who}@demo.local", password = ReformApp.DemoPassword });
        Assert.True(response.IsSuccessStatusCode, $"sign-in of {who}: {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<ReformApp.TokenResponse>())!.AccessToken;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? token, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    private static async Task<T> GetAsync<T>(HttpClient http, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }
}
