using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

// The end-to-end load driver (see the README's performance section). It starts the real Host
// as a child process on loopback, imports a generated plan, opens a check-in, drives the
// approval chain submit -> approve -> accept over HTTP with concurrent clients, measures the
// commit-to-rollup lag, and on PostgreSQL runs the bare approval transaction in the same run as the
// machine's limit, through Npgsql in one batch and through pgbench (the performance issue's definition).
// It prints figures; it never fails on time.
var options = Args.Parse(args);
var embedded = options.Get("profile", "production") == "embedded";
// "chain" (default): the approval chain under load. "pages": the web UI's server time at the sample
// plan's size and again with --reports reports (20,000 by default), one request at a time.
// "steady" and "soak": a fixed arrival rate. "checkin": opening a check-in of --measures measures
// (100,000 by default). "rollup": the dashboard's reads and the full projection rebuild at that size.
// "inbox": inbox reads among 1,000,000 tasks over 2,000 assignees while approvals run at --rate.
var scenario = options.Get("scenario", "chain");
var large = scenario is "checkin" or "rollup" or "inbox";
// The chain needs reports for its warm-up and timed load together: at 900 actions a second, 65 s take 19,500.
var measures = int.Parse(options.Get("measures", large ? "100000" : scenario == "chain" ? "30000" : "10000"), CultureInfo.InvariantCulture);
var clients = int.Parse(options.Get("clients", "16"), CultureInfo.InvariantCulture);
var seconds = int.Parse(options.Get("seconds", "20"), CultureInfo.InvariantCulture);
var warmup = int.Parse(options.Get("warmup", "15"), CultureInfo.InvariantCulture);
var postgresAdmin = Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } configured
    ? configured : "Host=127.0.0.1;Port=5432;Database=aomori_reform;Username=aomori;Password=aomori";
const string Password = "Benchmark-Password";
const string Url = "http://127.0.0.1:5199";

// Every figure the run measures, printed last as one JSON line for tooling.
var figures = new SortedDictionary<string, object>(StringComparer.Ordinal)
{
    ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    ["profile"] = embedded ? "embedded" : "production",
    ["scenario"] = scenario,
    ["cores"] = Environment.ProcessorCount,
};
var errorStatuses = new ConcurrentDictionary<int, int>();
var environment = new Dictionary<string, string>
{
    // Development, as `dotnet run` starts the embedded default; the production profile needs it for the demo accounts the driver signs in as.
    ["ASPNETCORE_ENVIRONMENT"] = options.Get("environment", "Development"),
    ["Demo__Password"] = Password,
    ["Demo__OpenCheckIn"] = "false",
    // The driver signs in hundreds of accounts from one address within a minute.
    ["Identity__LoginsPerClientPerMinute"] = "100000",
    // The load is many requests from few accounts: far above the per-account limits a person never reaches.
    ["RateLimits__WritesPerMinute"] = "10000000",
    ["RateLimits__ExportsPerMinute"] = "10000000",
    ["RateLimits__AnonymousPerMinute"] = "10000000",
    ["Logging__LogLevel__Default"] = "Warning",
    ["ConnectionStrings__RabbitMq"] = embedded ? string.Empty : Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 } rabbit ? rabbit : "amqp://guest:guest@127.0.0.1:5672/",
};
if (scenario == "soak")
{
    // Retention as a long-running installation has it, compressed into the hour: the soak shows the tables level off.
    environment["Outbox__Retention"] = options.Get("retention", "00:10:00");
    environment["Outbox__RetentionSchedule"] = "*/5 * * * *";
}

string? benchPostgres = null;
string? dataDirectory = null;
if (embedded)
{
    // Where the embedded default keeps it: a data folder inside the host's content root (the folder it runs in).
    dataDirectory = Path.Combine(AppContext.BaseDirectory, "data", $"bench-{Environment.ProcessId}");
    if (Directory.Exists(dataDirectory))
    {
        Directory.Delete(dataDirectory, recursive: true);
    }

    Directory.CreateDirectory(dataDirectory);
    environment["Storage__DataDirectory"] = dataDirectory;
    environment["ConnectionStrings__Postgres"] = string.Empty;
}
else
{
    benchPostgres = new NpgsqlConnectionStringBuilder(postgresAdmin) { Database = "aomori_bench", MaxPoolSize = 200 }.ConnectionString;
    await using var admin = new NpgsqlConnection(postgresAdmin);
    await admin.OpenAsync();
    // FORCE ends the last run's sessions, but not an autovacuum worker still busy with the last run's
    // rows (42501 for a role that is not a superuser): wait for it to finish.
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            await new NpgsqlCommand("DROP DATABASE IF EXISTS aomori_bench WITH (FORCE)", admin).ExecuteNonQueryAsync();
            break;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 60)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    await new NpgsqlCommand("CREATE DATABASE aomori_bench", admin).ExecuteNonQueryAsync();
    environment["ConnectionStrings__Postgres"] = benchPostgres;
}

// The host runs in the folder it was built to, as a published host runs in its own: that is its content root.
var host = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AomoriReform.Host.dll"), "--urls", Url])
{
    RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory,
};
foreach (var (key, value) in environment)
{
    host.Environment[key] = value;
}

using var process = Process.Start(host)!;
// --host-log FILE keeps the host's console output (for example with Logging__LogLevel__... set in the environment).
var hostLog = options.Get("host-log", string.Empty);
_ = hostLog.Length > 0 ? process.StandardOutput.BaseStream.CopyToAsync(File.Create(hostLog)) : process.StandardOutput.ReadToEndAsync();
_ = process.StandardError.ReadToEndAsync();
try
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromMinutes(large ? 15 : 1) };
    var ready = Stopwatch.StartNew();
    while (true)
    {
        try
        {
            if ((await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode)
            {
                break;
            }
        }
        catch (HttpRequestException)
        {
        }

        if (ready.Elapsed > TimeSpan.FromSeconds(60))
        {
            throw new TimeoutException("The host did not become ready.");
        }

        await Task.Delay(200);
    }

    Console.WriteLine($"host ready in {ready.Elapsed.TotalSeconds:F1} s ({(embedded ? "embedded: SQLite, in-memory bus" : "production: PostgreSQL, RabbitMQ")})");
    // Access tokens live an hour (Identity:AccessTokenMinutes): an hour's soak signs in again after 50 minutes.
    var tokens = new ConcurrentDictionary<string, (string Token, long At)>();
    async Task<string> Token(string email)
    {
        if (tokens.TryGetValue(email, out var cached) && Stopwatch.GetElapsedTime(cached.At) < TimeSpan.FromMinutes(50))
        {
            return cached.Token;
        }

        var login = await http.PostAsJsonAsync("/api/auth/login", new { email, password = Password });
        login.EnsureSuccessStatusCode();
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()!;
        tokens[email] = (token, Stopwatch.GetTimestamp());
        return token;
    }

    async Task<HttpResponseMessage> Send(HttpMethod method, string path, string email, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await Token(email));
        return await http.SendAsync(request);
    }

    if (scenario == "pages")
    {
        await PagesAsync(http, Token, Send, DrainedAsync, int.Parse(options.Get("reports", "20000"), CultureInfo.InvariantCulture), figures);
        return;
    }

    // A generated measures-only plan on the standard route, spread over the sample sections.
    var sections = (await (await Send(HttpMethod.Get, "/api/plan", "hq.admin@demo.local")).Content.ReadFromJsonAsync<JsonElement>())
        .GetProperty("viewpoints").EnumerateArray().SelectMany(v => v.GetProperty("areas").EnumerateArray()).SelectMany(a => a.GetProperty("items").EnumerateArray())
        .SelectMany(i => i.GetProperty("measures").EnumerateArray()).Select(m => m.GetProperty("ownerSectionCode").GetString()!).Distinct().ToList();
    // The inbox scenario's organisation: 1,000 sections of its own (in 10 departments), each with a
    // staff member and a section chief, so its tasks fall to 2,000 assignees (a role within a section).
    var loadSections = sections;
    if (scenario == "inbox")
    {
        var org = new StringBuilder("kind,code,name,parent,role\n");
        for (var d = 0; d < 10; d++)
        {
            org.Append(CultureInfo.InvariantCulture, $"department,bench-d{d},ベンチマーク部{d},,\n");
        }

        sections = [.. Enumerable.Range(0, 1000).Select(i => $"bench-s{i:D4}")];
        for (var i = 0; i < sections.Count; i++)
        {
            org.Append(CultureInfo.InvariantCulture, $"section,{sections[i]},ベンチマーク課{i},bench-d{i % 10},\n");
            org.Append(CultureInfo.InvariantCulture, $"user,{sections[i]}.staff@bench.example,担当 {i},{sections[i]},Staff\n");
            org.Append(CultureInfo.InvariantCulture, $"user,{sections[i]}.chief@bench.example,課長 {i},{sections[i]},SectionChief\n");
        }

        await ImportFileAsync("/api/org/import", org.ToString(), "text/csv");

        // The load runs in the first 50 sections; the inboxes timed are others, untouched by it.
        loadSections = sections[..50];
    }

    // Measures in files of 20,000 (a plan file holds at most 250,000 values); measures a file leaves out are kept.
    var import = Stopwatch.StartNew();
    for (var from = 0; from < measures; from += 20000)
    {
        var yaml = new StringBuilder("measures:\n");
        for (var i = from; i < Math.Min(measures, from + 20000); i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ code: \"B-{i:D6}\", item: \"2.1.1\", title: ベンチマーク取組{i}, section: {sections[i % sections.Count]} }}\n");
        }

        await ImportFileAsync("/api/plan/import", yaml.ToString(), "application/yaml");
    }

    // An import (organisation or plan file) as HQ's administrator; a refusal stops the run with its answer.
    async Task ImportFileAsync(string path, string file, string mediaType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(file, Encoding.UTF8, mediaType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await Token("hq.admin@demo.local"));
        using var imported = await http.SendAsync(request);
        if (!imported.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: {(int)imported.StatusCode} {await imported.Content.ReadAsStringAsync()}");
        }
    }

    var importSeconds = import.Elapsed.TotalSeconds;
    process.Refresh();
    var peakBeforeOpening = process.PeakWorkingSet64;
    var opening = Stopwatch.StartNew();
    (await Send(HttpMethod.Post, "/api/checkins", "hq.admin@demo.local", new { fiscalYear = 2025, dueDate = "2026-05-29" })).EnsureSuccessStatusCode();
    var openingSeconds = opening.Elapsed.TotalSeconds;
    process.Refresh();
    Console.WriteLine($"plan import of {measures} generated measures: {importSeconds:F1} s; check-in opening of {measures + 109} reports: {openingSeconds:F1} s; host peak working set {peakBeforeOpening / (1024 * 1024)} MB before the opening, {process.PeakWorkingSet64 / (1024 * 1024)} MB after");
    figures["checkin_reports"] = measures + 109;
    figures["checkin_open_s"] = Math.Round(openingSeconds, 2);
    if (scenario == "checkin")
    {
        figures["host_peak_mb"] = process.PeakWorkingSet64 / (1024 * 1024);
        return;
    }

    // The opening's events (one per report) are dispatched and projected before anything is timed,
    // the warm-up included: a yearly opening's flood is its own load, not the steady state these
    // scenarios measure. (Until 2026-12-04 the chain started at once: at the machine's slow hours its
    // 60,000 events were still being dispatched through the timed window, ahead of the chain's own,
    // so the window carried part of the flood and the rollups trailed the chain by seconds.)
    var flood = await DrainedAsync(measures + 109);
    Console.WriteLine($"the opening's events were published and projected {flood.TotalSeconds:F0} s after it answered");
    figures["checkin_events_drained_s"] = Math.Round(flood.TotalSeconds);

    if (scenario == "rollup")
    {
        await RollupAsync(http, Token, Send, figures);
        process.Refresh();
        figures["host_peak_mb"] = process.PeakWorkingSet64 / (1024 * 1024);
        return;
    }

    var reports = new ConcurrentQueue<(Guid Id, string Section)>();
    string[] filters = scenario == "inbox" ? [.. loadSections.Select(s => $"&sectionCode={s}")] : [string.Empty];
    foreach (var filter in filters)
    {
        for (var page = 1; ; page++)
        {
            var list = await (await Send(HttpMethod.Get, $"/api/reports?fiscalYear=2025&pageSize=500&page={page}{filter}", "hq.admin@demo.local")).Content.ReadFromJsonAsync<JsonElement>();
            var items = list.GetProperty("items").EnumerateArray().Where(r => r.GetProperty("route").GetString() == "progress-report").ToList();
            foreach (var item in items)
            {
                reports.Enqueue((item.GetProperty("id").GetGuid(), item.GetProperty("sectionCode").GetString()!));
            }

            if (list.GetProperty("items").GetArrayLength() < 500)
            {
                break;
            }
        }
    }

    // The inbox scenario's accounts have no password of their own: they get the demo accounts' one.
    var domain = "demo.local";
    if (scenario == "inbox")
    {
        domain = "bench.example";
        await using var connection = new NpgsqlConnection(benchPostgres);
        await connection.OpenAsync();
        await new NpgsqlCommand("""
            UPDATE "AspNetUsers" SET password_hash = (SELECT password_hash FROM "AspNetUsers" WHERE normalized_email = 'HQ.ADMIN@DEMO.LOCAL')
            WHERE normalized_email LIKE '%@BENCH.EXAMPLE'
            """, connection).ExecuteNonQueryAsync();
    }

    foreach (var section in loadSections)
    {
        await Token($"{section}.staff@{domain}");
        await Token($"{section}.chief@{domain}");
    }

    await Token("hq.reviewer@demo.local");
    Console.WriteLine($"signed in {tokens.Count} accounts; the approval chain runs for {seconds} s");
    var loadLags = new List<double>();
    var slowProbes = new List<string>();
    if (scenario == "steady")
    {
        await SteadyAsync();
        return;
    }

    if (scenario == "soak")
    {
        await SoakAsync();
        return;
    }

    if (scenario == "inbox")
    {
        await InboxAsync();
        return;
    }

    // The chain: each client takes a report and submits, approves and accepts it. A warm-up run of the
    // same load comes first and is not counted: a host serves for months, so its steady state, after
    // the JIT has tiered the hot paths up, is the figure that matters (the warm-up's own rate is printed).
    var lastMachine = new Dictionary<string, double>();
    var lastSwitches = new Dictionary<string, (long Voluntary, long Involuntary, int Threads)>();
    async Task<(ConcurrentBag<double> Latencies, int Errors, double Elapsed, double CpuSeconds)> ChainAsync(int runSeconds)
    {
        loadLags.Clear();
        slowProbes.Clear();
        LastAction? last = null;
        var machineBefore = Machine.Sample();
        var latencies = new ConcurrentBag<double>();
        var errors = 0;
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var run = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(runSeconds);
        // Commit-to-rollup lag under this load: twice a second, the latest acknowledged action, polled
        // in the projection until it shows (the rollups HQ reads while the chain runs).
        // A probe measures a new action only: once the clients stop (the deadline, or the plan's reports used
        // up), the latest action stays the same, and probing it again would count the time since its answer
        // as lag (a run that used its reports up showed 666, 1166, 1669, 2170 ms for one action so).
        var loading = true;
        LastAction? probed = null;
        var probing = Task.Run(async () =>
        {
            while (run.Elapsed < deadline && Volatile.Read(ref loading))
            {
                await Task.Delay(500);
                if (Volatile.Read(ref last) is not { } probe || probe == probed || !Volatile.Read(ref loading))
                {
                    continue;
                }

                probed = probe;

                var lag = await RollupLagAsync(probe.ReportId, probe.Version, probe.At, TimeSpan.FromSeconds(60), poll: 5);
                loadLags.Add(lag);
                if (lag > 250)
                {
                    // When, in UTC, so that a slow probe can be laid beside the database's log and other samples.
                    slowProbes.Add($"{DateTime.UtcNow.AddMilliseconds(-lag):HH:mm:ss.f} {lag:F0} ms");
                }
            }
        });
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (run.Elapsed < deadline && reports.TryDequeue(out var report))
            {
                foreach (var (action, who, version) in new[] { ("submit", $"{report.Section}.staff", 1), ("approve", $"{report.Section}.chief", 2), ("accept", "hq.reviewer", 3) })
                {
                    var started = Stopwatch.GetTimestamp();
                    using var response = await Send(HttpMethod.Post, $"/api/reports/{report.Id}/{action}", $"{who}@demo.local", new { version });
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        errorStatuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                    }
                    else
                    {
                        Volatile.Write(ref last, new LastAction(report.Id, version + 1, Stopwatch.GetTimestamp()));
                    }
                }
            }
        }));
        var elapsedSeconds = run.Elapsed.TotalSeconds;
        Volatile.Write(ref loading, false);
        if (elapsedSeconds < runSeconds - 1)
        {
            Console.WriteLine($"the plan's reports ran out after {elapsedSeconds:F1} s of {runSeconds} s: the figures cover that time; a larger --measures runs the whole time");
            figures["reports_ran_out_s"] = Math.Round(elapsedSeconds, 1);
        }

        process.Refresh();
        var machineAfter = Machine.Sample();
        lastMachine = machineAfter.Since(machineBefore);
        lastSwitches = machineAfter.SwitchesSince(machineBefore);
        var cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        await probing;
        return (latencies, errors, elapsedSeconds, cpuSeconds);
    }

    if (warmup > 0)
    {
        var warm = await ChainAsync(warmup);
        Console.WriteLine($"warm-up (not counted): {warm.Latencies.Count} actions in {warm.Elapsed:F1} s = {warm.Latencies.Count / warm.Elapsed:F0} actions/s, {warm.CpuSeconds * 1000 / Math.Max(1, warm.Latencies.Count):F2} ms host CPU per action, {warm.Errors} errors");
    }

    var timedFrom = DateTime.UtcNow;
    var databaseBefore = await DatabaseWorkAsync();
    var timed = ChainAsync(seconds);
    var loadPeak = await PeakDuringAsync(timed);
    var (latencies, errors, elapsed, cpuSeconds) = await timed;
    var timedTo = DateTime.UtcNow;
    var databaseAfter = await DatabaseWorkAsync();
    var sorted = latencies.Order().ToArray();
    double Percentile(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    var actionsPerSecond = sorted.Length / elapsed;
    Console.WriteLine($"approval chain: {sorted.Length} actions in {elapsed:F1} s = {actionsPerSecond:F0} actions/s with {clients} clients, {errors} errors, p50 {Percentile(0.5):F1} ms, p99 {Percentile(0.99):F1} ms");
    Console.WriteLine($"host CPU: {cpuSeconds:F1} s over the chain = {cpuSeconds * 1000 / Math.Max(1, sorted.Length):F2} ms per action, {cpuSeconds / elapsed * 100:F0}% of one core");
    figures["actions_per_s"] = Math.Round(actionsPerSecond, 1);
    figures["errors"] = errors;
    figures["clients"] = clients;
    figures["p50_ms"] = Math.Round(Percentile(0.5), 1);
    figures["p99_ms"] = Math.Round(Percentile(0.99), 1);
    figures["host_cpu_ms_per_action"] = Math.Round(cpuSeconds * 1000 / Math.Max(1, sorted.Length), 2);
    // Where the whole machine's CPU went during the timed chain (from /proc), per action.
    Console.WriteLine("machine CPU per action: " + string.Join(", ", lastMachine.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value * 1000 / Math.Max(1, sorted.Length):F2} ms")));
    foreach (var (name, cpu) in lastMachine)
    {
        figures[$"cpu_ms_per_action_{name}"] = Math.Round(cpu * 1000 / Math.Max(1, sorted.Length), 2);
    }

    // How often each group's threads gave up the CPU (voluntary: to wait) or had it taken (involuntary), per action,
    // and how many threads each has: a run slower per action in every process is told apart from a busier one by these.
    Console.WriteLine("context switches per action (voluntary/involuntary), threads: " + string.Join(", ", lastSwitches.OrderBy(p => p.Key, StringComparer.Ordinal)
        .Select(p => $"{p.Key} {p.Value.Voluntary / (double)Math.Max(1, sorted.Length):F1}/{p.Value.Involuntary / (double)Math.Max(1, sorted.Length):F1}, {p.Value.Threads}")));
    foreach (var (name, (voluntary, involuntary, threads)) in lastSwitches)
    {
        figures[$"switches_per_action_{name}"] = Math.Round(voluntary / (double)Math.Max(1, sorted.Length), 2);
        figures[$"preemptions_per_action_{name}"] = Math.Round(involuntary / (double)Math.Max(1, sorted.Length), 2);
        figures[$"threads_{name}"] = threads;
    }

    if (databaseBefore is { } before && databaseAfter is { } after && sorted.Length > 0)
    {
        // Every transaction the database committed (the host's units of work, the dispatcher's reads and
        // marks, the consumers' batches, and the driver's own probe reads) and the log it wrote, per action.
        var commitsPerAction = (after.Commits - before.Commits) / (double)sorted.Length;
        var walPerAction = (after.WalBytes - before.WalBytes) / 1024.0 / sorted.Length;
        Console.WriteLine($"PostgreSQL per action: {commitsPerAction:F2} commits, {walPerAction:F2} KB of write-ahead log; checkpoints begun during the chain: {after.Checkpoints - before.Checkpoints}");
        figures["pg_commits_per_action"] = Math.Round(commitsPerAction, 2);
        figures["pg_wal_kb_per_action"] = Math.Round(walPerAction, 2);
        figures["pg_checkpoints_during_chain"] = after.Checkpoints - before.Checkpoints;
    }

    if (loadLags.Count > 0)
    {
        loadLags.Sort();
        double Lag(double p) => loadLags[Math.Min(loadLags.Count - 1, (int)(p * loadLags.Count))];
        Console.WriteLine($"commit-to-rollup lag during the chain: p50 {Lag(0.5):F0} ms, p99 {Lag(0.99):F0} ms, max {loadLags[^1]:F0} ms over {loadLags.Count} probes");
        figures["lag_load_p50_ms"] = Math.Round(Lag(0.5));
        figures["lag_load_p99_ms"] = Math.Round(Lag(0.99));
        figures["lag_load_max_ms"] = Math.Round(loadLags[^1]);
        if (slowProbes.Count > 0)
        {
            Console.WriteLine($"probes over 250 ms (acknowledged at, UTC): {string.Join(", ", slowProbes)}");
        }
    }

    // How long the projection needs to catch up with everything the load committed: until every
    // report's projection is at the report's own version (a count of accepted reports alone let the
    // idle-lag probe below start while the last seconds' events were still queued, and measure them).
    var drain = Stopwatch.StartNew();
    while (await CountRows("progress_reports r LEFT JOIN report_projections p ON p.report_id = r.id WHERE r.version > 1 AND (p.version IS NULL OR p.version < r.version)") > 0
        && drain.Elapsed < TimeSpan.FromSeconds(120))
    {
        await Task.Delay(100);
    }

    Console.WriteLine($"projection caught up {drain.Elapsed.TotalSeconds:F1} s after the load ended");
    figures["projection_catch_up_s"] = Math.Round(drain.Elapsed.TotalSeconds, 1);

    // Every event of the timed chain, not a few probes: from its outbox row (written with the action)
    // to the projection consumer taking it (processed_messages, at the start of the consumer's batch),
    // and on RabbitMQ to the broker's confirm (the row marked sent, once its whole batch is confirmed).
    var delays = await EventDelaysAsync(timedFrom, timedTo);
    if (delays.Taken.Count > 0)
    {
        double Quantile(List<double> values, double q) => values[Math.Min(values.Count - 1, (int)(q * values.Count))];
        var published = delays.Published.Count > 0 ? $"; to the broker's confirm p50 {Quantile(delays.Published, 0.5):F0}, p90 {Quantile(delays.Published, 0.9):F0}, p99 {Quantile(delays.Published, 0.99):F0} ms" : string.Empty;
        Console.WriteLine($"events of the chain, outbox row to the projection consumer: p50 {Quantile(delays.Taken, 0.5):F0}, p90 {Quantile(delays.Taken, 0.9):F0}, p99 {Quantile(delays.Taken, 0.99):F0} ms over {delays.Taken.Count} events{published}");
        figures["event_taken_p50_ms"] = Math.Round(Quantile(delays.Taken, 0.5));
        figures["event_taken_p90_ms"] = Math.Round(Quantile(delays.Taken, 0.9));
        figures["event_taken_p99_ms"] = Math.Round(Quantile(delays.Taken, 0.99));
        if (delays.Published.Count > 0)
        {
            figures["event_published_p50_ms"] = Math.Round(Quantile(delays.Published, 0.5));
            figures["event_published_p99_ms"] = Math.Round(Quantile(delays.Published, 0.99));
        }
    }

    // Commit-to-rollup lag: one action at a time, then poll the projection for its version.
    var lags = new List<double>();
    for (var i = 0; i < 30 && reports.TryDequeue(out var report); i++)
    {
        using var response = await Send(HttpMethod.Post, $"/api/reports/{report.Id}/submit", $"{report.Section}.staff@demo.local", new { version = 1 });
        lags.Add(await RollupLagAsync(report.Id, 2, Stopwatch.GetTimestamp(), TimeSpan.FromSeconds(10), poll: 2));
    }

    lags.Sort();
    if (lags.Count > 0)
    {
        Console.WriteLine($"commit-to-rollup lag: p50 {lags[lags.Count / 2]:F0} ms, max {lags[^1]:F0} ms over {lags.Count} actions");
        figures["lag_idle_p50_ms"] = Math.Round(lags[lags.Count / 2]);
        figures["lag_idle_max_ms"] = Math.Round(lags[^1]);
    }

    if (!embedded)
    {
        var bare = await BareTransactionsAsync(benchPostgres!, clients, seconds);
        Console.WriteLine($"bare approval transaction (Npgsql, {clients} connections): {bare:F0} tx/s; actions / bare = {actionsPerSecond / bare:F2}");
        figures["bare_tx_per_s"] = Math.Round(bare);
        figures["ratio_to_bare"] = Math.Round(actionsPerSecond / bare, 3);
        if (await PgbenchLimitAsync(benchPostgres!, clients, seconds) is { } limit)
        {
            Console.WriteLine($"the database's own limit (pgbench, the issue's bare approval transaction, {clients} clients): {limit:F0} tx/s; actions / limit = {actionsPerSecond / limit:F2}");
            figures["pgbench_tx_per_s"] = Math.Round(limit);
            figures["ratio_to_pgbench"] = Math.Round(actionsPerSecond / limit, 3);
        }
    }

    process.Refresh();
    Console.WriteLine($"host working set: at most {loadPeak / (1024 * 1024)} MB during the timed load; peak {process.PeakWorkingSet64 / (1024 * 1024)} MB over the whole run (with the plan import and the check-in opening)");
    figures["host_load_peak_mb"] = loadPeak / (1024 * 1024);
    figures["host_peak_mb"] = process.PeakWorkingSet64 / (1024 * 1024);

    // The host's working set sampled every 200 ms while a load runs: the peak of the load itself, which
    // the process's own peak (set by the plan import and the check-in opening before it) would hide.
    async Task<long> PeakDuringAsync(Task load)
    {
        using var watch = Process.GetProcessById(process.Id);
        long peak = 0;
        while (!load.IsCompleted)
        {
            watch.Refresh();
            peak = Math.Max(peak, watch.WorkingSet64);
            await Task.WhenAny(load, Task.Delay(200));
        }

        return peak;
    }

    // A fixed arrival rate (open loop): a chain starts every (its actions)/rate seconds whatever the
    // host's answers, so slow answers show as latency instead of slowing the load. Every action's
    // latency counts; every fifth action also waits for the projection to show it (commit-to-rollup lag).
    async Task<(double[] Latencies, double[] Lags, int Errors, double Elapsed, double Cpu)> OpenLoopAsync(
        double rate, double runSeconds, Func<(Guid Id, string Section, int Version)?> nextChain, (string Action, string Who)[] chain, Action<(Guid Id, string Section, int Version)> after)
    {
        var latencies = new ConcurrentBag<double>();
        var lagSamples = new ConcurrentBag<double>();
        var errors = 0;
        var started = 0;
        var chains = new List<Task>();
        var clock = Stopwatch.StartNew();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var interval = TimeSpan.FromSeconds(chain.Length / rate);
        while (clock.Elapsed < TimeSpan.FromSeconds(runSeconds) && nextChain() is { } report)
        {
            var due = interval * started++;
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            chains.Add(Task.Run(async () =>
            {
                var version = report.Version;
                foreach (var (action, role) in chain)
                {
                    var who = role == "hq" ? "hq.reviewer@demo.local" : $"{report.Section}.{role}@{domain}";
                    var begun = Stopwatch.GetTimestamp();
                    using var response = await Send(HttpMethod.Post, $"/api/reports/{report.Id}/{action}", who, new { version, comment = "確認しました" });
                    var answered = Stopwatch.GetTimestamp();
                    latencies.Add(Stopwatch.GetElapsedTime(begun, answered).TotalMilliseconds);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        errorStatuses.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                        return;
                    }

                    version++;
                    if ((latencies.Count % 5) == 0)
                    {
                        lagSamples.Add(await RollupLagAsync(report.Id, version, answered, TimeSpan.FromSeconds(10), poll: 10));
                    }
                }

                after((report.Id, report.Section, version));
            }));
        }

        await Task.WhenAll(chains);
        var elapsedSeconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        return (latencies.Order().ToArray(), lagSamples.Order().ToArray(), errors, elapsedSeconds, (process.TotalProcessorTime - cpuBefore).TotalSeconds);
    }

    static double At(double[] values, double p) => values.Length == 0 ? 0 : values[Math.Min(values.Length - 1, (int)(p * values.Length))];

    (Guid Id, string Section, int Version)? NextFresh() => reports.TryDequeue(out var r) ? (r.Id, r.Section, 1) : null;

    async Task SteadyAsync()
    {
        var rate = double.Parse(options.Get("rate", "100"), CultureInfo.InvariantCulture);
        if (warmup > 0)
        {
            await ChainAsync(warmup);
        }

        var steady = OpenLoopAsync(rate, seconds, NextFresh, [("submit", "staff"), ("approve", "chief"), ("accept", "hq")], _ => { });
        var loadPeak = await PeakDuringAsync(steady);
        var (sortedLatencies, sortedLags, errors, elapsedSeconds, cpu) = await steady;
        Console.WriteLine($"host working set: at most {loadPeak / (1024 * 1024)} MB during the load");
        figures["host_load_peak_mb"] = loadPeak / (1024 * 1024);
        Console.WriteLine($"steady load: {sortedLatencies.Length} actions at {rate:F0} actions/s offered ({sortedLatencies.Length / elapsedSeconds:F0} served), {errors} errors; latency p50 {At(sortedLatencies, 0.5):F1} ms, p95 {At(sortedLatencies, 0.95):F1} ms, p99 {At(sortedLatencies, 0.99):F1} ms, max {At(sortedLatencies, 1):F1} ms");
        Console.WriteLine($"commit-to-rollup lag under the load: p50 {At(sortedLags, 0.5):F0} ms, p99 {At(sortedLags, 0.99):F0} ms over {sortedLags.Length} actions");
        Console.WriteLine($"host CPU: {cpu * 1000 / Math.Max(1, sortedLatencies.Length):F2} ms per action, {cpu / elapsedSeconds * 100:F0}% of one core");
        figures["rate_offered"] = rate;
        figures["actions"] = sortedLatencies.Length;
        figures["errors"] = errors;
        figures["p50_ms"] = Math.Round(At(sortedLatencies, 0.5), 1);
        figures["p95_ms"] = Math.Round(At(sortedLatencies, 0.95), 1);
        figures["p99_ms"] = Math.Round(At(sortedLatencies, 0.99), 1);
        figures["lag_p50_ms"] = Math.Round(At(sortedLags, 0.5));
        figures["lag_p99_ms"] = Math.Round(At(sortedLags, 0.99));
        figures["host_cpu_ms_per_action"] = Math.Round(cpu * 1000 / Math.Max(1, sortedLatencies.Length), 2);
        process.Refresh();
        figures["host_peak_mb"] = process.PeakWorkingSet64 / (1024 * 1024);
    }

    // The inbox at scale: 1,000,000 tasks over 2,000 assignees, 10% of them open. The check-in opened one
    // open task per report (100,000 by default, 100 in each of 1,000 sections); the 900,000 completed tasks
    // of earlier rounds (draft, section approval and HQ review, three times over) are written straight into
    // the table, as the API would take hours to make them. Then approvals run at --rate in 50 of the sections
    // while one reader after another opens the inbox of a staff member or chief elsewhere (the API's list and
    // the web UI's page), one request at a time, as people do.
    async Task InboxAsync()
    {
        if (embedded)
        {
            throw new InvalidOperationException("The inbox scenario seeds PostgreSQL directly: run it with --profile production.");
        }

        var seed = Stopwatch.StartNew();
        await using (var connection = new NpgsqlConnection(benchPostgres))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("""
                INSERT INTO work_tasks (id, report_id, step_id, assignee_role, assignee_section_code, state, due_date, created_at, completed_at, completed_by, kind)
                SELECT gen_random_uuid(), r.id, s.step_id, s.role, CASE WHEN s.role = 'HqReviewer' THEN NULL ELSE r.section_code END,
                       'Completed', r.due_date, r.created_at, r.created_at, 'bench', 'Action'
                FROM progress_reports r
                CROSS JOIN (VALUES ('draft', 'Staff'), ('section-approval', 'SectionChief'), ('hq-review', 'HqReviewer')) AS s (step_id, role)
                CROSS JOIN generate_series(1, 3) AS round
                WHERE r.section_code LIKE 'bench-s%';
                ANALYZE work_tasks;
                """, connection) { CommandTimeout = 600 };
            await insert.ExecuteNonQueryAsync();
        }

        var tasks = await CountRows("work_tasks");
        var open = await CountRows("work_tasks WHERE state = 'Open'");
        Console.WriteLine($"work_tasks: {tasks:N0} rows, {open:N0} open ({seed.Elapsed.TotalSeconds:F0} s to write the completed ones)");
        figures["tasks"] = tasks;
        figures["tasks_open"] = open;

        // Readers: staff of sections the load does not touch (100 open tasks each) and the chiefs of the
        // load's sections (their inbox fills as the load submits).
        var readers = sections[500..520].Select(s => $"{s}.staff@bench.example").Concat(loadSections[..20].Select(s => $"{s}.chief@bench.example")).ToList();
        foreach (var reader in readers)
        {
            await Token(reader);
        }

        var rate = double.Parse(options.Get("rate", "100"), CultureInfo.InvariantCulture);
        if (warmup > 0)
        {
            await OpenLoopAsync(rate, warmup, NextFresh, [("submit", "staff"), ("approve", "chief"), ("accept", "hq")], _ => { });
        }

        using var stop = new CancellationTokenSource();
        var apiTimes = new List<double>();
        var pageTimes = new List<double>();
        var readErrors = 0;
        var reading = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var page = i % 2 == 1;
                using var request = new HttpRequestMessage(HttpMethod.Get, page ? "/inbox" : "/api/inbox");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await Token(readers[i / 2 % readers.Count]));
                var started = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (!response.IsSuccessStatusCode || !(page ? body.Contains("<main", StringComparison.Ordinal) : body.StartsWith('[')))
                {
                    readErrors++;
                    continue;
                }

                (page ? pageTimes : apiTimes).Add(took);
            }
        });
        var load = OpenLoopAsync(rate, seconds, NextFresh, [("submit", "staff"), ("approve", "chief"), ("accept", "hq")], _ => { });
        var loadPeak = await PeakDuringAsync(load);
        var (sortedLatencies, sortedLags, errors, elapsedSeconds, cpu) = await load;
        await stop.CancelAsync();
        await reading;
        apiTimes.Sort();
        pageTimes.Sort();
        var api = apiTimes.ToArray();
        var pages = pageTimes.ToArray();
        Console.WriteLine($"approvals meanwhile: {sortedLatencies.Length} actions at {rate:F0} actions/s offered ({sortedLatencies.Length / elapsedSeconds:F0} served), {errors} errors; p50 {At(sortedLatencies, 0.5):F1} ms, p99 {At(sortedLatencies, 0.99):F1} ms; rollup lag p99 {At(sortedLags, 0.99):F0} ms");
        Console.WriteLine($"GET /api/inbox: {api.Length} reads, p50 {At(api, 0.5):F1} ms, p95 {At(api, 0.95):F1} ms, p99 {At(api, 0.99):F1} ms, {readErrors} errors");
        Console.WriteLine($"GET /inbox (web UI): {pages.Length} reads, p50 {At(pages, 0.5):F1} ms, p95 {At(pages, 0.95):F1} ms, p99 {At(pages, 0.99):F1} ms");
        figures["rate_offered"] = rate;
        figures["actions"] = sortedLatencies.Length;
        figures["errors"] = errors + readErrors;
        figures["p99_ms"] = Math.Round(At(sortedLatencies, 0.99), 1);
        figures["lag_p99_ms"] = Math.Round(At(sortedLags, 0.99));
        figures["inbox_api_p50_ms"] = Math.Round(At(api, 0.5), 1);
        figures["inbox_api_p99_ms"] = Math.Round(At(api, 0.99), 1);
        figures["inbox_page_p50_ms"] = Math.Round(At(pages, 0.5), 1);
        figures["inbox_page_p99_ms"] = Math.Round(At(pages, 0.99), 1);
        figures["host_load_peak_mb"] = loadPeak / (1024 * 1024);
        figures["host_cpu_ms_per_action"] = Math.Round(cpu * 1000 / Math.Max(1, sortedLatencies.Length), 2);
        process.Refresh();
        figures["host_peak_mb"] = process.PeakWorkingSet64 / (1024 * 1024);
    }

    // The soak: a fixed rate (50 actions/s) for an hour, in windows (5 min), each window printing its
    // latency, the host's working set and the sizes of the outbox and processed-message tables. The
    // load is the 差戻し loop (staff submits, the section chief sends it back, again and again) over
    // every report, so an hour needs no more reports than a check-in holds; it runs the same action,
    // journal, outbox, projection and notification paths as the approval chain. The host runs the
    // retention job every 5 minutes with a 10-minute retention, so bounded tables show as a plateau.
    async Task SoakAsync()
    {
        var rate = double.Parse(options.Get("rate", "50"), CultureInfo.InvariantCulture);
        var window = double.Parse(options.Get("window", "300"), CultureInfo.InvariantCulture);
        var cycle = new ConcurrentQueue<(Guid Id, string Section, int Version)>(reports.Select(r => (r.Id, r.Section, 1)));
        (Guid Id, string Section, int Version)? NextCycle() => cycle.TryDequeue(out var r) ? r : null;
        void Again((Guid Id, string Section, int Version) report) => cycle.Enqueue(report);
        (string, string)[] returnLoop = [("submit", "staff"), ("return", "chief")];
        if (warmup > 0)
        {
            await OpenLoopAsync(rate, warmup, NextCycle, returnLoop, Again);
        }

        var rows = new List<Dictionary<string, object>>();
        var total = Stopwatch.StartNew();
        var all = new List<double>();
        var allErrors = 0;
        while (total.Elapsed.TotalSeconds < seconds - 1)
        {
            var (latencies, lags, errors, elapsed, cpu) = await OpenLoopAsync(rate, Math.Min(window, seconds - total.Elapsed.TotalSeconds), NextCycle, returnLoop, Again);
            all.AddRange(latencies);
            allErrors += errors;
            process.Refresh();
            var row = new Dictionary<string, object>
            {
                ["minute"] = Math.Round(total.Elapsed.TotalMinutes, 1),
                ["actions"] = latencies.Length,
                ["errors"] = errors,
                ["p50_ms"] = Math.Round(At(latencies, 0.5), 1),
                ["p99_ms"] = Math.Round(At(latencies, 0.99), 1),
                ["lag_p99_ms"] = Math.Round(At(lags, 0.99)),
                ["host_mb"] = process.WorkingSet64 / (1024 * 1024),
                ["host_cpu_ms_per_action"] = Math.Round(cpu * 1000 / Math.Max(1, latencies.Length), 2),
                ["outbox_rows"] = await CountRows("outbox_messages"),
                ["outbox_unsent"] = await CountRows("outbox_messages WHERE sent_at IS NULL"),
                ["processed_rows"] = await CountRows("processed_messages"),
            };
            rows.Add(row);
            Console.WriteLine("soak " + string.Join(", ", row.Select(p => $"{p.Key} {p.Value}")));
        }

        all.Sort();
        var first = rows[0];
        var last = rows[^1];
        var drift = (double)last["p99_ms"] / Math.Max(0.1, (double)first["p99_ms"]);
        var growth = (long)last["host_mb"] - (long)first["host_mb"];
        Console.WriteLine($"soak: {all.Count} actions at {rate:F0}/s offered over {total.Elapsed.TotalMinutes:F0} min, {allErrors} errors; p99 {At(all.ToArray(), 0.99):F1} ms; p99 first window {first["p99_ms"]} ms, last {last["p99_ms"]} ms (x{drift:F2}); working set first window {first["host_mb"]} MB, last {last["host_mb"]} MB ({growth:+0;-0} MB); outbox rows max {rows.Max(r => (long)r["outbox_rows"])}, last {last["outbox_rows"]}; processed rows max {rows.Max(r => (long)r["processed_rows"])}, last {last["processed_rows"]}");
        figures["rate_offered"] = rate;
        figures["actions"] = all.Count;
        figures["errors"] = allErrors;
        figures["p99_ms"] = Math.Round(At(all.ToArray(), 0.99), 1);
        figures["p99_drift"] = Math.Round(drift, 2);
        figures["host_mb_growth"] = growth;
        figures["windows"] = rows;
        process.Refresh();
        figures["host_peak_mb"] = process.PeakWorkingSet64 / (1024 * 1024);
    }
}
finally
{
    if (!errorStatuses.IsEmpty)
    {
        // Which answers counted as errors, by HTTP status.
        Console.WriteLine("errors by status: " + string.Join(", ", errorStatuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}")));
        figures["error_statuses"] = errorStatuses.ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value);
    }

    Console.WriteLine(JsonSerializer.Serialize(figures));
    process.Kill(entireProcessTree: true);
    await process.WaitForExitAsync();
    if (dataDirectory is not null)
    {
        Directory.Delete(dataDirectory, recursive: true);
    }
}

// The web UI's pages timed one request at a time (the server's time plus a loopback round trip),
// first at the sample plan's size, then with a generated plan of the given size in the next year.
static async Task PagesAsync(
    HttpClient http, Func<string, Task<string>> token, Func<HttpMethod, string, string, object?, Task<HttpResponseMessage>> send,
    Func<long, Task<TimeSpan>> drained, int reports, IDictionary<string, object> figures)
{
    async Task<(double P50, double P99)> Time(string path, string email, int count = 200)
    {
        var bearer = await token(email);
        var samples = new List<double>(count);
        for (var i = -20; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode || !body.Contains("<main", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"GET {path} as {email}: {(int)response.StatusCode}");
            }

            if (i >= 0)
            {
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        samples.Sort();
        return (samples[samples.Count / 2], samples[Math.Min(samples.Count - 1, (int)(0.99 * samples.Count))]);
    }

    async Task<Guid> AnyReport(int year, string email) =>
        (await (await send(HttpMethod.Get, $"/api/reports?fiscalYear={year}&pageSize=1&page={Random.Shared.Next(1, 50)}", email, null)).Content.ReadFromJsonAsync<JsonElement>())
            .GetProperty("items")[0].GetProperty("id").GetGuid();

    async Task Measure(int year, string label, string key)
    {
        var report = await AnyReport(year, "hq.admin@demo.local");
        var chiefSection = (await (await send(HttpMethod.Get, $"/api/reports/{report}", "hq.admin@demo.local", null)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sectionCode").GetString();
        foreach (var (name, path, email) in new[]
        {
            ("inbox (section chief)", "/inbox", $"{chiefSection}.chief@demo.local"),
            ("inbox (staff)", "/inbox", $"{chiefSection}.staff@demo.local"),
            ("report page", $"/reports/{report}", "hq.admin@demo.local"),
            ("reports list", $"/reports?fy={year}", "hq.admin@demo.local"),
            ("dashboard", $"/dashboard?fy={year}", "hq.admin@demo.local"),
        })
        {
            var (p50, p99) = await Time(path, email);
            Console.WriteLine($"{label}: {name,-22} p50 {p50,6:F1} ms  p99 {p99,6:F1} ms");
            var page = name.Replace(" (", "_", StringComparison.Ordinal).Replace(")", string.Empty, StringComparison.Ordinal).Replace(' ', '_');
            figures[$"{key}_{page}_p50_ms"] = Math.Round(p50, 1);
            figures[$"{key}_{page}_p99_ms"] = Math.Round(p99, 1);
        }
    }

    (await send(HttpMethod.Post, "/api/checkins", "hq.admin@demo.local", new { fiscalYear = 2025, dueDate = "2026-05-29" })).EnsureSuccessStatusCode();
    await drained(109);
    await Measure(2025, "sample plan (109 reports)", "sample");

    var sections = (await (await send(HttpMethod.Get, "/api/plan", "hq.admin@demo.local", null)).Content.ReadFromJsonAsync<JsonElement>())
        .GetProperty("viewpoints").EnumerateArray().SelectMany(v => v.GetProperty("areas").EnumerateArray()).SelectMany(a => a.GetProperty("items").EnumerateArray())
        .SelectMany(i => i.GetProperty("measures").EnumerateArray()).Select(m => m.GetProperty("ownerSectionCode").GetString()!).Distinct().ToList();
    var yaml = new StringBuilder("measures:\n");
    for (var i = 0; i < reports - 109; i++)
    {
        yaml.Append(CultureInfo.InvariantCulture, $"  - {{ code: \"P-{i:D6}\", item: \"2.1.1\", title: ページ計測取組{i}, section: {sections[i % sections.Count]} }}\n");
    }

    using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/plan/import") { Content = new StringContent(yaml.ToString(), Encoding.UTF8, "application/yaml") })
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await token("hq.admin@demo.local"));
        (await http.SendAsync(request)).EnsureSuccessStatusCode();
    }

    (await send(HttpMethod.Post, "/api/checkins", "hq.admin@demo.local", new { fiscalYear = 2026, dueDate = "2027-05-28" })).EnsureSuccessStatusCode();
    // The opening's events are published and projected first: timing pages meanwhile measured the flood.
    Console.WriteLine($"the opening's events were published and projected {(await drained(109 + reports)).TotalSeconds:F0} s after it answered");
    await Measure(2026, $"{reports:N0} reports in FY2026", "large");
}

// HQ's reads at scale: the rollups by every dimension and the dashboard page, one request at a time,
// then the full projection rebuild of the year, three times.
static async Task RollupAsync(
    HttpClient http, Func<string, Task<string>> token, Func<HttpMethod, string, string, object?, Task<HttpResponseMessage>> send, IDictionary<string, object> figures)
{
    var bearer = await token("hq.admin@demo.local");
    foreach (var (name, path) in new[]
    {
        ("rollups_viewpoint", "/api/rollups?fiscalYear=2025&by=viewpoint"),
        ("rollups_item", "/api/rollups?fiscalYear=2025&by=item"),
        ("rollups_section", "/api/rollups?fiscalYear=2025&by=section"),
        ("dashboard_page", "/dashboard?fy=2025"),
    })
    {
        var samples = new List<double>();
        for (var i = -20; i < 200; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            var started = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsStringAsync();
            response.EnsureSuccessStatusCode();
            if (i >= 0)
            {
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        samples.Sort();
        var p50 = samples[samples.Count / 2];
        var p99 = samples[(int)(0.99 * samples.Count)];
        Console.WriteLine($"GET {path,-42} p50 {p50,6:F1} ms  p99 {p99,6:F1} ms");
        figures[$"{name}_p50_ms"] = Math.Round(p50, 1);
        figures[$"{name}_p99_ms"] = Math.Round(p99, 1);
    }

    var rebuilds = new List<double>();
    for (var i = 0; i < 3; i++)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await send(HttpMethod.Post, "/api/rollups/rebuild?fiscalYear=2025", "hq.admin@demo.local", null);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        response.EnsureSuccessStatusCode();
        rebuilds.Add(Stopwatch.GetElapsedTime(started).TotalSeconds);
        Console.WriteLine($"projection rebuild of FY2025: {answer.GetProperty("reportsProjected").GetInt32()} reports in {rebuilds[^1]:F2} s");
    }

    figures["rebuild_s"] = Math.Round(rebuilds.Min(), 2);
    figures["rebuild_max_s"] = Math.Round(rebuilds.Max(), 2);
}

// Waits (at most 10 minutes) until every event in the outbox is published and the projection holds this many
// reports: a check-in's flood of events is its own load, not the steady state a scenario measures.
async Task<TimeSpan> DrainedAsync(long projected)
{
    var flood = Stopwatch.StartNew();
    while ((await CountRows("outbox_messages WHERE sent_at IS NULL") > 0 || await CountRows("report_projections") < projected) && flood.Elapsed < TimeSpan.FromMinutes(10))
    {
        await Task.Delay(500);
    }

    return flood.Elapsed;
}

// The milliseconds from each outbox row written in [from, to) to the projection consumer taking it, and (RabbitMQ
// only: on the in-memory bus a row is marked sent once its consumers have it) to its broker-confirmed publish; sorted.
async Task<(List<double> Taken, List<double> Published)> EventDelaysAsync(DateTime from, DateTime to)
{
    var taken = new List<double>();
    var published = new List<double>();
    const string Joined = "FROM outbox_messages o JOIN processed_messages p ON p.message_id = o.message_id AND p.consumer = 'ReportProjectionConsumer'";
    if (embedded)
    {
        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(dataDirectory!, "aomori-reform.db")};Mode=ReadOnly");
        await sqlite.OpenAsync();
        await using var query = new SqliteCommand(
            $"SELECT (julianday(p.processed_at) - julianday(o.created_at)) * 86400000.0 {Joined} WHERE julianday(o.created_at) >= julianday($from) AND julianday(o.created_at) < julianday($to)", sqlite);
        query.Parameters.AddWithValue("$from", from.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
        query.Parameters.AddWithValue("$to", to.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture));
        await using var rows = await query.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            taken.Add(rows.GetDouble(0));
        }
    }
    else
    {
        await using var connection = new NpgsqlConnection(benchPostgres);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            $"SELECT extract(epoch FROM p.processed_at - o.created_at)::float8 * 1000, extract(epoch FROM o.sent_at - o.created_at)::float8 * 1000 {Joined} WHERE o.created_at >= @from AND o.created_at < @to", connection);
        query.Parameters.AddWithValue("from", from);
        query.Parameters.AddWithValue("to", to);
        await using var rows = await query.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            taken.Add(rows.GetDouble(0));
            if (!rows.IsDBNull(1))
            {
                published.Add(rows.GetDouble(1));
            }
        }
    }

    taken.Sort();
    published.Sort();
    return (taken, published);
}

async Task<long> CountRows(string tableAndCondition)
{
    var sql = $"SELECT count(*) FROM {tableAndCondition}";
    if (embedded)
    {
        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(dataDirectory!, "aomori-reform.db")};Mode=ReadOnly");
        await sqlite.OpenAsync();
        await using var count = new SqliteCommand(sql, sqlite);
        return Convert.ToInt64(await count.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    await using var connection = new NpgsqlConnection(benchPostgres);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
}

// PostgreSQL only: the bench database's committed transactions so far, the write-ahead log's position and the
// server's checkpoints so far (pg_stat_database's counters reach shared memory within about a second, short
// against a timed run). A checkpoint during the timed chain makes PostgreSQL log whole pages again (more WAL
// per action, and more of its CPU), so a run says whether one fell into it.
async Task<(long Commits, long WalBytes, long Checkpoints)?> DatabaseWorkAsync()
{
    if (benchPostgres is null)
    {
        return null;
    }

    await using var connection = new NpgsqlConnection(benchPostgres);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(
        "SELECT xact_commit, pg_current_wal_lsn() - '0/0'::pg_lsn, (SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter) " +
        "FROM pg_stat_database WHERE datname = current_database()", connection);
    await using var reader = await command.ExecuteReaderAsync();
    await reader.ReadAsync();
    return (reader.GetInt64(0), (long)reader.GetDecimal(1), reader.GetInt64(2));
}

// Commit-to-rollup lag in milliseconds: polls the projection every `poll` ms until the report's
// projection reaches `version` (or `limit` passes), measured from `since` (a Stopwatch timestamp).
async Task<double> RollupLagAsync(Guid reportId, int version, long since, TimeSpan limit, int poll)
{
    while (await ProjectedVersion(reportId) < version && Stopwatch.GetElapsedTime(since) < limit)
    {
        await Task.Delay(poll);
    }

    return Stopwatch.GetElapsedTime(since).TotalMilliseconds;
}

async Task<int> ProjectedVersion(Guid reportId)
{
    if (embedded)
    {
        await using var sqlite = new SqliteConnection($"Data Source={Path.Combine(dataDirectory!, "aomori-reform.db")};Mode=ReadOnly");
        await sqlite.OpenAsync();
        await using var query = new SqliteCommand("SELECT version FROM report_projections WHERE report_id = $id", sqlite);
        query.Parameters.AddWithValue("$id", reportId.ToString().ToUpperInvariant());
        return Convert.ToInt32(await query.ExecuteScalarAsync() ?? 0, CultureInfo.InvariantCulture);
    }

    // The probes share a few connections of their own: when the lag grows, hundreds of waiting probes
    // must not take the database's connection slots from the host they measure.
    await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(benchPostgres) { MaxPoolSize = 8 }.ConnectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT version FROM report_projections WHERE report_id = @id", connection);
    command.Parameters.AddWithValue("id", reportId);
    return Convert.ToInt32(await command.ExecuteScalarAsync() ?? 0, CultureInfo.InvariantCulture);
}

// The approval's database work without the application: update a versioned row, close and open
// a task, append a journal row and an outbox row, in one transaction.
static async Task<double> BareTransactionsAsync(string connectionString, int clients, int seconds)
{
    await using (var setup = new NpgsqlConnection(connectionString))
    {
        await setup.OpenAsync();
        await new NpgsqlCommand("""
            DROP TABLE IF EXISTS bare_reports, bare_tasks, bare_journal, bare_outbox;
            CREATE TABLE bare_reports (id int PRIMARY KEY, version int NOT NULL, status text NOT NULL);
            CREATE TABLE bare_tasks (id bigserial PRIMARY KEY, report_id int NOT NULL, state text NOT NULL);
            CREATE TABLE bare_journal (id bigserial PRIMARY KEY, report_id int NOT NULL, seq int NOT NULL, hash text NOT NULL);
            CREATE TABLE bare_outbox (id bigserial PRIMARY KEY, payload text NOT NULL);
            -- As the product's work_tasks: without it the task update scans the whole table and the bare figure sinks as the run goes on.
            CREATE INDEX ON bare_tasks (report_id) WHERE state = 'Open';
            INSERT INTO bare_reports SELECT g, 1, 'Draft' FROM generate_series(1, 100000) g;
            """, setup).ExecuteNonQueryAsync();
    }

    var done = 0;
    var next = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var id = Interlocked.Increment(ref next) % 100000 + 1;
            await using var transaction = await connection.BeginTransactionAsync();
            await using var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new NpgsqlBatchCommand($"UPDATE bare_reports SET version = version + 1, status = 'Submitted' WHERE id = {id}"),
                    new NpgsqlBatchCommand($"UPDATE bare_tasks SET state = 'Completed' WHERE report_id = {id} AND state = 'Open'"),
                    new NpgsqlBatchCommand($"INSERT INTO bare_tasks (report_id, state) VALUES ({id}, 'Open')"),
                    new NpgsqlBatchCommand($"INSERT INTO bare_journal (report_id, seq, hash) VALUES ({id}, 1, md5(random()::text))"),
                    new NpgsqlBatchCommand("INSERT INTO bare_outbox (payload) VALUES ('{}')"),
                },
            };
            await batch.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            Interlocked.Increment(ref done);
        }
    }));
    return done / clock.Elapsed.TotalSeconds;
}

// The database's own limit as the performance issue defines it (shared/bench/http-floor/pg_limit.sh):
// pgbench running the bare transaction of an approval (read the task and the instance, update both,
// insert a journal row and a 900-byte outbox row, commit durably) against 100,000 instances and
// 1,000,000 tasks, one statement per round trip. Null (and a line saying why) without pgbench.
static async Task<double?> PgbenchLimitAsync(string connectionString, int clients, int seconds)
{
    var pgbench = Environment.GetEnvironmentVariable("PGBENCH") is { Length: > 0 } configured ? configured
        : Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin", "pgbench")).Where(File.Exists).Order().LastOrDefault() : null;
    if (pgbench is null)
    {
        Console.WriteLine("pgbench not found (set PGBENCH): no pgbench limit in this run");
        return null;
    }

    await using (var setup = new NpgsqlConnection(connectionString))
    {
        await setup.OpenAsync();
        await new NpgsqlCommand("""
            DROP TABLE IF EXISTS lim_workflow_instance, lim_task, lim_approval_history, lim_outbox_message;
            CREATE TABLE lim_workflow_instance (id int PRIMARY KEY, state text NOT NULL, version int NOT NULL, updated_at timestamptz);
            CREATE TABLE lim_task (id int PRIMARY KEY, instance_id int NOT NULL, assignee_id int NOT NULL, status int NOT NULL,
              version int NOT NULL, due_at timestamptz, completed_at timestamptz, title text);
            CREATE TABLE lim_approval_history (id bigserial PRIMARY KEY, task_id int, actor_id int, decision int, comment text, at timestamptz);
            CREATE TABLE lim_outbox_message (id bigserial PRIMARY KEY, message_id uuid, message_type text, body text, headers text, created_at timestamptz);
            INSERT INTO lim_workflow_instance SELECT g, 'Submitted', 1, now() FROM generate_series(1, 100000) g;
            INSERT INTO lim_task SELECT g, 1 + g % 100000, 1 + g % 2000, CASE WHEN g % 10 = 0 THEN 0 ELSE 1 END, 1,
              now() + (g % 90) * interval '1 day', NULL, 'task ' || g FROM generate_series(1, 1000000) g;
            CREATE INDEX ON lim_task (assignee_id, due_at) WHERE status = 0;
            """, setup) { CommandTimeout = 600 }.ExecuteNonQueryAsync();
        await new NpgsqlCommand("VACUUM ANALYZE lim_workflow_instance, lim_task", setup) { CommandTimeout = 600 }.ExecuteNonQueryAsync();
    }

    var script = Path.Combine(Path.GetTempPath(), $"aomori-pgbench-{Environment.ProcessId}.sql");
    await File.WriteAllTextAsync(script, """
        \set tid random(1, 1000000)
        \set wid random(1, 100000)
        BEGIN;
        SELECT id, status, version FROM lim_task WHERE id = :tid;
        SELECT id, state, version FROM lim_workflow_instance WHERE id = :wid;
        UPDATE lim_task SET status = 1, completed_at = now(), version = version + 1 WHERE id = :tid;
        UPDATE lim_workflow_instance SET state = 'SectionApproved', version = version + 1, updated_at = now() WHERE id = :wid;
        INSERT INTO lim_approval_history (task_id, actor_id, decision, comment, at) VALUES (:tid, 42, 1, 'approved', now());
        INSERT INTO lim_outbox_message (message_id, message_type, body, headers, created_at) VALUES (gen_random_uuid(), 'ReportApproved', repeat('x', 900), '{}', now());
        COMMIT;

        """);
    try
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var start = new ProcessStartInfo(pgbench)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            Environment = { ["PGPASSWORD"] = target.Password ?? string.Empty },
        };
        foreach (var argument in new[]
        {
            "-n", "-h", target.Host ?? "127.0.0.1", "-p", target.Port.ToString(CultureInfo.InvariantCulture), "-U", target.Username ?? "postgres",
            "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", clients < 2 ? "1" : "2", "-T", seconds.ToString(CultureInfo.InvariantCulture),
            "-f", script, target.Database ?? "postgres",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var run = Process.Start(start)!;
        var output = await run.StandardOutput.ReadToEndAsync();
        var error = await run.StandardError.ReadToEndAsync();
        await run.WaitForExitAsync();
        var tps = output.Split('\n').FirstOrDefault(l => l.StartsWith("tps = ", StringComparison.Ordinal));
        if (run.ExitCode != 0 || tps is null)
        {
            Console.WriteLine($"pgbench failed (exit {run.ExitCode}): {error.Trim()}");
            return null;
        }

        return double.Parse(tps["tps = ".Length..].Split(' ')[0], CultureInfo.InvariantCulture);
    }
    finally
    {
        File.Delete(script);
    }
}

/// <summary>
/// CPU seconds by process group (the host, PostgreSQL, RabbitMQ, this driver, the rest), the machine's idle
/// and stolen time, and each group's context switches (voluntary: a thread waited; involuntary: it was
/// preempted) and threads, from /proc.
/// </summary>
internal sealed class Machine(Dictionary<string, double> seconds, Dictionary<string, (long Voluntary, long Involuntary, int Threads)> switches)
{
    private Dictionary<string, double> Seconds { get; } = seconds;

    private Dictionary<string, (long Voluntary, long Involuntary, int Threads)> Switches { get; } = switches;

    private static readonly double Tick = 100.0;

    public static Machine Sample()
    {
        var groups = new Dictionary<string, double>(StringComparer.Ordinal);
        var switches = new Dictionary<string, (long Voluntary, long Involuntary, int Threads)>(StringComparer.Ordinal);
        var self = Environment.ProcessId;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                var comm = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                var ticks = double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture);
                var cmdline = File.ReadAllText(Path.Combine(directory, "cmdline"));
                var group = pid == self ? "driver"
                    : cmdline.Contains("AomoriReform.Host.dll", StringComparison.Ordinal) ? "host"
                    : comm.StartsWith("postgres", StringComparison.Ordinal) ? "postgres"
                    : comm.StartsWith("beam", StringComparison.Ordinal) || comm.StartsWith("erl", StringComparison.Ordinal) ? "rabbitmq"
                    : "other";
                groups[group] = groups.GetValueOrDefault(group) + ticks / Tick;
                var (voluntary, involuntary, threads) = switches.GetValueOrDefault(group);
                foreach (var task in Directory.EnumerateDirectories(Path.Combine(directory, "task")))
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            voluntary += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                        }
                        else if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            involuntary += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                        }
                    }

                    threads++;
                }

                switches[group] = (voluntary, involuntary, threads);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process (or one of its threads) ended while we read it.
            }
        }

        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        groups["idle"] = (double.Parse(cpu[4], CultureInfo.InvariantCulture) + double.Parse(cpu[5], CultureInfo.InvariantCulture)) / Tick;
        groups["steal"] = double.Parse(cpu[8], CultureInfo.InvariantCulture) / Tick;
        return new Machine(groups, switches);
    }

    public Dictionary<string, double> Since(Machine before) =>
        Seconds.ToDictionary(p => p.Key, p => Math.Max(0, p.Value - before.Seconds.GetValueOrDefault(p.Key)), StringComparer.Ordinal);

    /// <summary>Context switches since <paramref name="before"/> by group (threads of processes that ended in between are not counted), and each group's threads now.</summary>
    public Dictionary<string, (long Voluntary, long Involuntary, int Threads)> SwitchesSince(Machine before) =>
        Switches.ToDictionary(
            p => p.Key,
            p => (Math.Max(0, p.Value.Voluntary - before.Switches.GetValueOrDefault(p.Key).Voluntary),
                Math.Max(0, p.Value.Involuntary - before.Switches.GetValueOrDefault(p.Key).Involuntary), p.Value.Threads),
            StringComparer.Ordinal);
}

internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new Args(values);
    }

    public string Get(string name, string fallback) => values.TryGetValue(name, out var value) ? value : fallback;
}

/// <summary>The latest acknowledged action of the chain: the report, the version it made, when its answer came.</summary>
internal sealed record LastAction(Guid ReportId, int Version, long At);
