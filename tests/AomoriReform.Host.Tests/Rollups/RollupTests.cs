using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Rollups;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Rollups;

/// <summary>HQ's rollups: fed by the report events, idempotent, and equal to a rebuild from the reports.</summary>
[Collection(SharedHost.Name)]
public abstract class RollupTests(Profile profile) : IAsyncLifetime
{
    private static readonly RollupDimension[] Dimensions = Enum.GetValues<RollupDimension>();
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, HttpClient> clients = [];
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(profile);
        app = new ReformApp(database, "Development", time: time);
        var opened = await (await As("hq.admin")).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task<HttpClient> As(string who)
    {
        if (!clients.TryGetValue(who, out var client))
        {
            client = clients[who] = await app.SignedInAsync($"{who}@demo.local");
        }

        return client;
    }

    private async Task<string> Snapshot(bool live)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var rollups = scope.ServiceProvider.GetRequiredService<RollupQueries>();
        var parts = new List<string>();
        foreach (var year in await app.WithDbAsync(db => db.CheckIns.Select(c => c.FiscalYear).OrderBy(y => y).ToListAsync()))
        {
            foreach (var by in Dimensions)
            {
                var rows = live ? await rollups.LiveAsync(year, by, CancellationToken.None) : await rollups.FromReportsAsync(year, by, CancellationToken.None);
                parts.AddRange(rows.Select(r => $"{year}:{by}:{r}"));
            }
        }

        return string.Join("\n", parts);
    }

    private async Task LiveEqualsTruth()
    {
        var truth = await Snapshot(live: false);
        await Eventually.Get(() => Snapshot(live: true), live => live == truth, because: "the projection to catch up with the reports");
    }

    [Fact]
    public async Task After_the_check_in_opens_hq_sees_every_measure_as_draft()
    {
        var measures = await app.WithDbAsync(db => db.Measures.CountAsync());
        await LiveEqualsTruth();

        var byViewpoint = await (await As("hq.reviewer")).GetFromJsonAsync<JsonElement>("/api/rollups?fiscalYear=2025&by=viewpoint");
        var rows = byViewpoint.EnumerateArray().ToList();

        Assert.Equal(["1", "2", "3", "4", "5"], rows.Select(r => r.GetProperty("key").GetString()));
        Assert.Equal("県庁ＤＸの推進", rows[1].GetProperty("title").GetString());
        Assert.Equal(measures, rows.Sum(r => r.GetProperty("total").GetInt32()));
        Assert.Equal(measures, rows.Sum(r => r.GetProperty("draft").GetInt32()));
        Assert.Equal(0, rows.Sum(r => r.GetProperty("overdue").GetInt32()));
        Assert.Equal(HttpStatusCode.Forbidden, (await (await As("gyosei-keiei.staff")).GetAsync(new Uri("/api/rollups?fiscalYear=2025", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await (await As("hq.reviewer")).GetAsync(new Uri("/api/rollups?fiscalYear=2025&by=colour", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task After_two_thousand_random_actions_the_live_rollup_equals_the_reports_and_a_rebuild()
    {
        foreach (var year in new[] { 2024, 2026, 2027, 2028 })
        {
            Assert.Equal(HttpStatusCode.Created, (await (await As("hq.admin")).PostAsJsonAsync("/api/checkins", new { fiscalYear = year, dueDate = $"{year + 1}-05-29" })).StatusCode);
        }

        var random = new Random(20250401);
        var reports = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking()
            .Select(r => new { r.Id, r.SectionCode, r.DepartmentCode, r.Status, r.Version }).ToListAsync());
        var state = reports.ToDictionary(r => r.Id, r => (r.Status, r.Version));
        var acted = 0;
        for (var attempt = 0; attempt < 20_000 && acted < 2_000; attempt++)
        {
            var report = reports[random.Next(reports.Count)];
            var (status, version) = state[report.Id];
            if (status == "Accepted")
            {
                continue;
            }

            // Who may act, and how, in each status; the server decides, a refusal just moves on.
            (string Who, string Action)[] moves = status switch
            {
                "Draft" or "Returned" => [($"{report.SectionCode}.staff", "submit")],
                "Submitted" => [($"{report.SectionCode}.chief", "approve"), ($"{report.SectionCode}.chief", "return"), ($"{report.SectionCode}.staff", "recall")],
                "DepartmentApproved" => [("hq.reviewer", "accept"), ("hq.reviewer", "return")],
                "InConsultation" => [("zaisei.chief", "concur"), ("digital-senryaku.chief", "concur"), ("zaisei.chief", "object")],
                _ => [("hq.reviewer", "accept"), ("hq.reviewer", "return"), ($"{report.DepartmentCode}.head", "approve")],
            };
            var (who, action) = moves[random.Next(moves.Length)];
            var response = await (await As(who)).PostAsJsonAsync($"/api/reports/{report.Id}/{action}", new { version, comment = "テスト" });
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                state[report.Id] = (body.GetProperty("status").GetString()!, body.GetProperty("version").GetInt32());
                acted++;
            }
            else
            {
                Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Conflict or HttpStatusCode.NotFound, $"{(int)response.StatusCode} for {action}");
            }
        }

        Assert.True(acted >= 2_000, $"{acted} actions");
        await LiveEqualsTruth();
        var live = await Snapshot(live: true);

        var rebuilt = await (await As("hq.admin")).PostAsync(new Uri("/api/rollups/rebuild", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        Assert.Equal(live, await Snapshot(live: true));
        Assert.Contains("Accepted", live, StringComparison.Ordinal);
        Assert.True(await app.WithDbAsync(db => db.ProgressReports.CountAsync(r => r.Status == "Accepted")) > 0);
    }

    [Fact]
    public async Task A_duplicate_or_stale_delivery_changes_nothing()
    {
        var report = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking().Where(r => r.RouteName == "progress-report").OrderBy(r => r.MeasureCode).FirstAsync());
        var staff = await As($"{report.SectionCode}.staff");
        Assert.Equal(HttpStatusCode.OK, (await staff.PostAsJsonAsync($"/api/reports/{report.Id}/submit", new { version = 1 })).StatusCode);
        var row = await app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.StreamId == report.Id.ToString("N") && m.MessageType == typeof(ReportSubmitted).FullName));
        await Eventually.Get(() => app.WithDbAsync(db => db.ReportProjections.AsNoTracking().SingleOrDefaultAsync(p => p.ReportId == report.Id)), p => p?.Version == 2, because: "the submission to be projected");
        var submitted = JsonSerializer.Deserialize<ReportSubmitted>(row.Payload, JsonSerializerOptions.Web)!;
        var bus = app.Services.GetRequiredService<IBus>();

        await bus.Publish(submitted, context => context.MessageId = row.MessageId);
        await bus.Publish(submitted, context => context.MessageId = row.MessageId);
        var staleId = Guid.NewGuid();
        await bus.Publish(submitted with { Status = "Draft", Version = 1 }, context => context.MessageId = staleId);

        await Eventually.Get(() => app.WithDbAsync(db => db.ProcessedMessages.CountAsync(p => p.MessageId == staleId)), n => n == 1, because: "the stale event to be consumed");
        Assert.Equal(1, await app.WithDbAsync(db => db.ProcessedMessages.CountAsync(p => p.MessageId == row.MessageId)));
        var projection = await app.WithDbAsync(db => db.ReportProjections.AsNoTracking().SingleAsync(p => p.ReportId == report.Id));
        Assert.Equal(("Submitted", 2), (projection.Status, projection.Version));
        await LiveEqualsTruth();
    }
}

public sealed class RollupTests_Embedded() : RollupTests(Profile.Embedded);

public sealed class RollupTests_Production() : RollupTests(Profile.Production);
