using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Operations;

/// <summary>
/// What the IT section sees inside a running host: traces and metrics reaching an OTLP endpoint (a
/// loopback receiver standing in for the collector), the product's own meters among them, the
/// outbox backlog and projection lag in the readiness details, and logs as JSON lines.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class TelemetryTests
{
    private const string Section = "gyosei-keiei";

    [Fact]
    public async Task Traces_and_metrics_with_our_own_meters_reach_the_configured_OTLP_endpoint()
    {
        using var collector = new OtlpReceiver();
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        await using var app = new ReformApp(database, "Development", new Dictionary<string, string?>
        {
            ["Telemetry:OtlpEndpoint"] = collector.Endpoint,
            ["Telemetry:OtlpProtocol"] = "http/protobuf",
            ["Telemetry:MetricIntervalSeconds"] = "1",
            ["Telemetry:SampleIntervalSeconds"] = "1",
            ["Telemetry:ServiceName"] = "aomori-reform-test",
        });
        using (var admin = await app.SignedInAsync("hq.admin@demo.local"))
        {
            Assert.True((await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).IsSuccessStatusCode);
        }

        using var staff = await app.SignedInAsync($"{Section}.staff@demo.local");
        var report = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.SectionCode == Section).OrderBy(r => r.MeasureCode).Select(r => new { r.Id, r.Version }).FirstAsync());
        Assert.True((await staff.PostAsJsonAsync($"/api/reports/{report.Id}/submit", new { version = report.Version })).IsSuccessStatusCode);

        // Traces: the service's name and the API's route; metrics: our action counter (the submit) and the sampled gauges.
        await collector.WaitForAsync("/v1/traces", "aomori-reform-test", "/api/reports/{id:guid}/{action}");
        await collector.WaitForAsync("/v1/metrics", "aomori.actions", "submit", "aomori.outbox.backlog", "aomori.tasks.open", "aomori.projection.lag", "http.server.request.duration");
        Assert.Contains(collector.Requests, r => r.ContentType == "application/x-protobuf");
    }

    [Fact]
    public async Task Hq_admin_reads_the_outbox_backlog_projection_lag_and_tasks_in_the_readiness_details()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        await using var app = new ReformApp(database, "Development", new Dictionary<string, string?> { ["Telemetry:SampleIntervalSeconds"] = "1" });
        using var admin = await app.SignedInAsync("hq.admin@demo.local");
        Assert.True((await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).IsSuccessStatusCode);
        var open = await app.WithDbAsync(db => db.WorkTasks.CountAsync(t => t.State == AomoriReform.Workflows.Engine.WorkTaskState.Open));
        Assert.True(open > 0);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? description = null;
        while (DateTime.UtcNow < deadline)
        {
            // The body is read whatever the status: until the bus's first connection readiness is 503, with the same details.
            using var answer = await admin.GetAsync(new Uri("/health/ready", UriKind.Relative));
            var ready = await answer.Content.ReadFromJsonAsync<JsonElement>();
            description = ready.GetProperty("checks").GetProperty("operations").GetProperty("description").GetString();
            if (description?.Contains($"open tasks {open},", StringComparison.Ordinal) == true)
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.Matches(@"^outbox backlog \d+ \(oldest \d+ s\); projection lag \d+ ms \(last event\); open tasks \d+, overdue \d+; sampled ", description);
        Assert.Contains($"open tasks {open},", description, StringComparison.Ordinal);
        using var anonymousAnswer = await app.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var anonymous = await anonymousAnswer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(anonymous.GetProperty("checks").GetProperty("operations").TryGetProperty("description", out _));
    }

    [Fact]
    public async Task Logs_are_json_lines_with_utc_timestamps_when_asked()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Embedded);
        await using var host = await RunningHost.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Postgres"] = string.Empty,
            ["ConnectionStrings__RabbitMq"] = string.Empty,
            ["Storage__DataDirectory"] = database.DataDirectory!,
            ["Demo__Password"] = ReformApp.DemoPassword,
            ["Logging__Format"] = "json",
        });

        var lines = host.Tail.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var serving = lines.Where(line => line.TrimStart().StartsWith('{')).Select(line => JsonDocument.Parse(line).RootElement).Single(e => e.GetProperty("Message").GetString()!.StartsWith("AomoriReform is serving on", StringComparison.Ordinal));
        Assert.Equal("Information", serving.GetProperty("LogLevel").GetString());
        Assert.EndsWith("Z", serving.GetProperty("Timestamp").GetString()!.TrimEnd(), StringComparison.Ordinal);
        Assert.Equal("AomoriReform", serving.GetProperty("Category").GetString());
        Assert.True(serving.GetProperty("State").TryGetProperty("Addresses", out _));
    }

    /// <summary>A stand-in OTLP/HTTP collector on a loopback port: keeps each request's path, type and body.</summary>
    private sealed class OtlpReceiver : IDisposable
    {
        private readonly HttpListener listener = new();
        private readonly CancellationTokenSource stop = new();

        public OtlpReceiver()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Endpoint = $"http://127.0.0.1:{port}/";
            listener.Prefixes.Add(Endpoint);
            listener.Start();
            _ = Task.Run(ReceiveAsync);
        }

        public string Endpoint { get; }

        public ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> Requests { get; } = new();

        /// <summary>Waits until one request to the path holds every text (UTF-8 strings inside the protobuf).</summary>
        public async Task WaitForAsync(string path, params string[] texts)
        {
            var deadline = DateTime.UtcNow.AddSeconds(45);
            while (DateTime.UtcNow < deadline)
            {
                // Metrics come in several exports; the texts may be spread over them.
                var seen = string.Concat(Requests.Where(r => r.Path == path).Select(r => Encoding.UTF8.GetString(r.Body)));
                if (texts.All(t => seen.Contains(t, StringComparison.Ordinal)))
                {
                    return;
                }

                await Task.Delay(250);
            }

            var all = string.Concat(Requests.Where(r => r.Path == path).Select(r => Encoding.UTF8.GetString(r.Body)));
            Assert.Fail($"{path}: {Requests.Count(r => r.Path == path)} requests; missing {string.Join(", ", texts.Where(t => !all.Contains(t, StringComparison.Ordinal)))}");
        }

        private async Task ReceiveAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Requests.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
                context.Response.Close();
            }
        }

        public void Dispose()
        {
            stop.Cancel();
            listener.Close();
            stop.Dispose();
        }
    }
}
