using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace AomoriReform.Tests.Faults;

/// <summary>
/// The approvals load the fault tests run through the HTTP API of one or more hosts: every report of
/// FY2025 on the walked routes goes through submit, approve (and the head's approval) and, for two
/// thirds, accept, from several clients at once, in three waves so that an event lost in one wave is
/// not simply overwritten by the report's next event. A fault is injected while a wave runs. An
/// action that gets no answer, a 503 or a broken connection is sent again with the same
/// Idempotency-Key (to the next host when there are several) until a host answers, so an action that
/// committed before the fault is answered from its record and never done twice. Afterwards
/// <see cref="AssertConsistentAsync"/> checks the promises.
/// </summary>
public sealed class ApprovalLoad : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient[] hosts;
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, (string Status, int Version)> state = new();
    private readonly ConcurrentBag<(Guid ReportId, string Action)> acknowledged = [];
    private readonly TimeSpan patience;
    private List<Report> reports = [];
    private int nextHost;
    private int done;
    private int unavailable;
    private int timedOut;

    public ApprovalLoad(IEnumerable<Uri> hosts, TimeSpan? patience = null, TimeSpan? requestTimeout = null)
    {
        this.hosts = hosts.Select(address => new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
        {
            BaseAddress = address,
            Timeout = requestTimeout ?? TimeSpan.FromSeconds(20),
        }).ToArray();
        this.patience = patience ?? TimeSpan.FromSeconds(120);
    }

    public sealed record Report(Guid Id, string SectionCode, string DepartmentCode, string Route, string Status, int Version);

    public sealed record Move(string Who, string Action);

    /// <summary>What a test does to the system while a wave runs, once <paramref name="At"/> of the wave's actions are done.</summary>
    public sealed record Fault(Func<Task> Act, double At = 0.5);

    /// <summary>Acknowledged (2xx) actions so far.</summary>
    public int Done => Volatile.Read(ref done);

    /// <summary>Answers of 503 (problem+json) seen, each followed by a repeat.</summary>
    public int Unavailable => Volatile.Read(ref unavailable);

    /// <summary>Requests that got no answer within the client's timeout (a hang).</summary>
    public int TimedOut => Volatile.Read(ref timedOut);

    public IReadOnlyList<Report> Reports => reports;

    public int Clients { get; init; } = 8;

    /// <summary>Opens FY2025's check-in (unless the test did), lists the reports on the walked routes and signs every actor in up front (tokens outlive a restart).</summary>
    public async Task PrepareAsync(bool openCheckIn = true)
    {
        if (openCheckIn)
        {
            using var opened = await SendAsync(HttpMethod.Post, "/api/checkins", await TokenOfAsync("hq.admin"), new { fiscalYear = 2025, dueDate = "2026-05-29" });
            Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        }

        reports = (await ReportsAsync(await TokenOfAsync("hq.reviewer"))).Where(r => r.Route is "progress-report" or "progress-report-with-head").ToList();
        Assert.True(reports.Count >= 60, $"{reports.Count} reports on the walked routes");
        foreach (var report in reports)
        {
            state[report.Id] = (report.Status, report.Version);
        }

        var actors = reports.SelectMany(r => new[] { $"{r.SectionCode}.staff", $"{r.SectionCode}.chief", $"{r.DepartmentCode}.head" }).Distinct().ToList();
        await Parallel.ForEachAsync(actors, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (who, _) => await TokenOfAsync(who));
    }

    /// <summary>
    /// The three waves (submit, approve, accept); <c>faults[i]</c>, when given, starts when its share of
    /// wave <c>i</c> is done, while the clients go on, and the next wave waits for it to end.
    /// </summary>
    public async Task RunAsync(params Fault?[] faults)
    {
        Fault? FaultIn(int wave) => wave < faults.Length ? faults[wave] : null;
        var deadline = DateTime.UtcNow + patience;
        var accepting = reports.Take(reports.Count * 2 / 3).Select(r => r.Id).ToHashSet();
        await WaveAsync(deadline, (r, s) => s.Status == "Draft" ? new Move($"{r.SectionCode}.staff", "submit") : null, reports.Count, FaultIn(0));
        await WaveAsync(
            deadline,
            (r, s) => s.Status switch
            {
                "Submitted" => new Move($"{r.SectionCode}.chief", "approve"),
                "SectionApproved" when r.Route == "progress-report-with-head" => new Move($"{r.DepartmentCode}.head", "approve"),
                _ => null,
            },
            reports.Count,
            FaultIn(1));
        await WaveAsync(
            deadline,
            (r, s) => accepting.Contains(r.Id) && s.Status is "SectionApproved" or "DepartmentApproved" ? new Move("hq.reviewer", "accept") : null,
            accepting.Count,
            FaultIn(2));
        Assert.True(acknowledged.Count >= 200, $"{acknowledged.Count} acknowledged actions");
    }

    /// <summary>
    /// Without a rebuild: the live rollups equal the reports' own counts; the journal verifies; every
    /// acknowledged action is in its report's history exactly once; no outbox row is left unsent.
    /// </summary>
    public async Task AssertConsistentAsync(Func<Task<int>> pendingOutbox)
    {
        var reviewer = await TokenOfAsync("hq.reviewer");
        var difference = await Eventually.Get(() => DifferenceAsync(reviewer), d => d.Length == 0, TimeSpan.FromSeconds(90), "the rollups to agree with the reports");
        Assert.Equal(string.Empty, difference);

        var verified = await GetAsync<JsonElement>("/api/audit/verify", await TokenOfAsync("hq.admin"));
        Assert.True(verified.GetProperty("valid").GetBoolean(), verified.ToString());
        var byReport = acknowledged.ToLookup(a => a.ReportId, a => a.Action);
        foreach (var report in reports)
        {
            var history = (await GetAsync<JsonElement>($"/api/reports/{report.Id}/history", reviewer)).EnumerateArray().Select(h => h.GetProperty("action").GetString()!).ToList();
            Assert.Equal(new[] { "open" }.Concat(byReport[report.Id].OrderBy(Rank)).ToList(), history);
        }

        var pending = await Eventually.Get(pendingOutbox, n => n == 0, TimeSpan.FromSeconds(60), "the outbox to be delivered");
        Assert.Equal(0, pending);
    }

    public Task<string> TokenOfAsync(string who) => tokens.GetOrAdd(who, w => new Lazy<Task<string>>(() => SignInAsync(w))).Value;

    public async Task<T> GetAsync<T>(string path, string token)
    {
        using var response = await SendAsync(HttpMethod.Get, path, token, null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public void Dispose()
    {
        foreach (var host in hosts)
        {
            host.Dispose();
        }
    }

    private async Task WaveAsync(DateTime deadline, Func<Report, (string Status, int Version), Move?> next, int size, Fault? fault)
    {
        var work = new ConcurrentQueue<Report>(reports);
        var start = Done;
        var faulted = fault is null ? Task.CompletedTask : Task.Run(async () =>
        {
            await Eventually.Get(() => Task.FromResult(Done - start), d => d >= (int)(size * fault.At), TimeSpan.FromSeconds(60), "the wave to reach the fault point");
            await fault.Act();
        });
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            while (work.TryDequeue(out var report))
            {
                while (next(report, state[report.Id]) is { } step)
                {
                    var body = await ActAsync(await TokenOfAsync(step.Who), report, step.Action, state[report.Id].Version, deadline);
                    state[report.Id] = (body.GetProperty("status").GetString()!, body.GetProperty("version").GetInt32());
                    acknowledged.Add((report.Id, step.Action));
                    Interlocked.Increment(ref done);
                }
            }
        })));
        await faulted;
    }

    private async Task<JsonElement> ActAsync(string token, Report report, string action, int version, DateTime deadline)
    {
        var key = Guid.NewGuid().ToString();
        var failures = new List<string>();
        while (true)
        {
            var host = Pick();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/reports/{report.Id}/{action}") { Content = JsonContent.Create(new { version, comment = "確認" }) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                request.Headers.Add("Idempotency-Key", key);
                using var response = await host.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{action} {report.Id}: {(int)response.StatusCode} {body}");
                    return JsonDocument.Parse(body).RootElement.Clone();
                }

                // The promised answer while the database is away: problem+json, with a time to wait.
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.NotNull(response.Headers.RetryAfter);
                Interlocked.Increment(ref unavailable);
                failures.Add("503");
            }
            catch (TaskCanceledException)
            {
                Interlocked.Increment(ref timedOut);
                failures.Add("no answer in time");
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The host is down (killed) or starting: the outcome is unknown, so ask again.
                failures.Add(e.GetType().Name);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up on {action} of {report.Id} after: {string.Join(", ", failures.TakeLast(10))}");
            }

            await Task.Delay(100);
        }
    }

    private HttpClient Pick() => hosts[(int)((uint)Interlocked.Increment(ref nextHost) % (uint)hosts.Length)];

    private static int Rank(string action) => action switch
    {
        "submit" => 0,
        "approve" => 1,
        _ => 2,
    };

    /// <summary>What differs between the live rollups and the counts of the reports themselves, by section and by department.</summary>
    private async Task<string> DifferenceAsync(string token)
    {
        var current = await ReportsAsync(token);
        var lines = new List<string>();
        foreach (var (by, keyOf) in new (string, Func<Report, string>)[] { ("section", r => r.SectionCode), ("department", r => r.DepartmentCode) })
        {
            var expected = current.GroupBy(keyOf).ToDictionary(g => g.Key, Counts, StringComparer.Ordinal);
            var live = (await GetAsync<JsonElement>($"/api/rollups?fiscalYear=2025&by={by}", token)).EnumerateArray()
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

    private async Task<List<Report>> ReportsAsync(string token)
    {
        var page = await GetAsync<ReportPage>("/api/reports?fiscalYear=2025&pageSize=500", token);
        Assert.Equal(page.Total, page.Items.Count);
        return page.Items;
    }

    private async Task<string> SignInAsync(string who)
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/auth/login", null, new { email = $"{who}@demo.local", password = ReformApp.DemoPassword });
        Assert.True(response.IsSuccessStatusCode, $"sign-in of {who}: {(int)response.StatusCode}");
        return (await response.Content.ReadFromJsonAsync<ReformApp.TokenResponse>())!.AccessToken;
    }

    /// <summary>A request outside the actions (sign-in, reads): to the next host that answers, repeated while none does.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            try
            {
                var response = await Pick().SendAsync(request);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > until)
                {
                    return response;
                }

                response.Dispose();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException && DateTime.UtcNow < until)
            {
                // A host that is down: the next one, or this one again shortly.
            }

            await Task.Delay(200);
        }
    }
}
