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
        foreach (var by in Dimensions)
        {
            var rows = live ? await rollups.LiveAsync(2025, by, CancellationToken.None) : await rollups.FromReportsAsync(2025, by, CancellationToken.None);
            parts.AddRange(rows.Select(r => $"{by}:{r}"));
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
    public async Task After_a_random_mix_of_actions_the_live_rollup_equals_the_reports_and_a_rebuild()
    {
        var random = new Random(20250401);
        var reports = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking().Where(r => r.FiscalYear == 2025)
            .Select(r => new { r.Id, r.SectionCode, r.DepartmentCode }).ToListAsync());
        var acted = 0;
        for (var attempt = 0; attempt < 400 && acted < 120; attempt++)
        {
            var report = reports[random.Next(reports.Count)];
            foreach (var who in new[] { $"{report.SectionCode}.staff", $"{report.SectionCode}.chief", $"{report.DepartmentCode}.head", "hq.reviewer", "zaisei.chief", "digital-senryaku.chief" })
            {
                var view = await (await As(who)).GetAsync(new Uri($"/api/reports/{report.Id}", UriKind.Relative));
                if (view.StatusCode != HttpStatusCode.OK)
                {
                    continue;
                }

                var body = await view.Content.ReadFromJsonAsync<JsonElement>();
                var actions = body.GetProperty("permittedActions").EnumerateArray().Select(a => a.GetString()!).Where(a => a != "save").ToList();
                if (actions.Count == 0)
                {
                    continue;
                }

                var action = actions[random.Next(actions.Count)];
                var response = await (await As(who)).PostAsJsonAsync($"/api/reports/{report.Id}/{action}", new { version = body.GetProperty("version").GetInt32(), comment = "テスト" });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                acted++;
                break;
            }
        }

        Assert.True(acted >= 100, $"{acted} actions");
        await LiveEqualsTruth();
        var live = await Snapshot(live: true);

        var rebuilt = await (await As("hq.admin")).PostAsync(new Uri("/api/rollups/rebuild?fiscalYear=2025", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        Assert.Equal(live, await Snapshot(live: true));
        Assert.Contains("Accepted", live, StringComparison.Ordinal);
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
