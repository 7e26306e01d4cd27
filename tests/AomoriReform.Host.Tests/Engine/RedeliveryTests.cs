using System.Net.Http.Json;
using System.Text.Json;
using AomoriReform.Workflows.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Engine;

/// <summary>
/// Every event delivered again, twice, shuffled, through the real bus (RabbitMQ, or the in-memory
/// transport of the embedded default), plus stale events under new message ids: the consumers take
/// effect once (no second notification of a return, no repeated record), and the projection neither
/// regresses to an older version nor differs from the reports.
/// </summary>
[Collection(SharedHost.Name)]
public abstract class RedeliveryTests(Profile profile)
{
    private const string Section = "gyosei-keiei";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task Events_delivered_twice_out_of_order_and_stale_take_effect_once_and_the_rollup_stays_right()
    {
        await using var database = await TestDatabase.CreateAsync(profile);
        await using var app = new ReformApp(database, "Development");
        using (var admin = await app.SignedInAsync("hq.admin@demo.local"))
        {
            Assert.True((await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).IsSuccessStatusCode);
        }

        using var staff = await app.SignedInAsync($"{Section}.staff@demo.local");
        using var chief = await app.SignedInAsync($"{Section}.chief@demo.local");
        using var hq = await app.SignedInAsync("hq.reviewer@demo.local");
        var reports = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.SectionCode == Section && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).Take(4).ToListAsync());
        async Task Act(HttpClient who, Guid id, string action, string? comment = null)
        {
            var version = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());
            var response = await who.PostAsJsonAsync($"/api/reports/{id}/{action}", new { version, comment });
            Assert.True(response.IsSuccessStatusCode, $"{action}: {await response.Content.ReadAsStringAsync()}");
        }

        await Act(staff, reports[0], "submit");
        await Act(staff, reports[1], "submit");
        await Act(chief, reports[1], "approve");
        await Act(staff, reports[2], "submit");
        await Act(chief, reports[2], "approve");
        await Act(hq, reports[2], "accept");
        await Act(staff, reports[3], "submit");
        await Act(chief, reports[3], "return", "指標の根拠を添えてください。");

        var settled = await SettleAsync(app, extra: 0);
        var before = await app.WithDbAsync(db => db.ReportProjections.AsNoTracking().OrderBy(p => p.ReportId).Select(p => $"{p.ReportId} {p.Status} {p.Version}").ToListAsync());
        var notifications = await app.WithDbAsync(db => db.Notifications.CountAsync(n => n.Kind == AomoriReform.Workflows.Reminders.NotificationKind.Returned));
        Assert.True(notifications >= 1, "the return notified the drafter");

        // Every event again, twice over, in a shuffled order, under its own message id.
        var rows = await app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().OrderBy(m => m.Sequence).ToListAsync());
        Assert.Contains(rows, r => r.MessageType.EndsWith(".ReportReturned", StringComparison.Ordinal));
        var again = rows.Concat(rows).OrderBy(_ => Random.Shared.Next()).ToList();
        // And each report's first event (opened, version 1) as if new: a stale event that is no repeat.
        var stale = rows.Where(r => r.MessageType.EndsWith(".ReportOpened", StringComparison.Ordinal) && reports.Any(id => r.Payload.Contains(id.ToString(), StringComparison.Ordinal))).ToList();
        Assert.Equal(reports.Count, stale.Count);
        var bus = app.Services.GetRequiredService<IBus>();
        foreach (var row in again)
        {
            await PublishAsync(bus, row, row.MessageId);
        }

        foreach (var row in stale)
        {
            await PublishAsync(bus, row, Guid.NewGuid());
        }

        // Only the stale events under new ids are new to the projection; nothing else is recorded twice.
        await SettleAsync(app, extra: stale.Count, previous: settled);
        var after = await app.WithDbAsync(db => db.ReportProjections.AsNoTracking().OrderBy(p => p.ReportId).Select(p => $"{p.ReportId} {p.Status} {p.Version}").ToListAsync());
        Assert.Equal(before, after);
        Assert.Equal(notifications, await app.WithDbAsync(db => db.Notifications.CountAsync(n => n.Kind == AomoriReform.Workflows.Reminders.NotificationKind.Returned)));
        var reportsNow = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking().OrderBy(r => r.Id).Select(r => $"{r.Id} {r.Status} {r.Version}").ToListAsync());
        Assert.Equal(reportsNow, after);
    }

    private static Task PublishAsync(IBus bus, OutboxMessage row, Guid messageId)
    {
        var type = ContractTypes.Resolve(row.MessageType);
        var message = JsonSerializer.Deserialize(row.Payload, type, Json)!;
        return bus.Publish(message, type, context => context.MessageId = messageId);
    }

    /// <summary>
    /// Waits until the outbox is delivered and the consumers have recorded <paramref name="extra"/>
    /// more messages than <paramref name="previous"/> (when given), then until that count has held for
    /// three seconds (a late second delivery would still show); returns it.
    /// </summary>
    private static async Task<int> SettleAsync(ReformApp app, int extra, int? previous = null)
    {
        await Eventually.Get(() => app.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.SentAt == null)), n => n == 0, TimeSpan.FromSeconds(60), "the outbox to be delivered");
        if (previous is { } count)
        {
            await Eventually.Get(() => app.WithDbAsync(db => db.ProcessedMessages.CountAsync()), n => n >= count + extra, TimeSpan.FromSeconds(60), "the stale events to be recorded");
        }

        var (seen, still) = (-1, 0);
        var settled = await Eventually.Get(
            async () =>
            {
                await Task.Delay(300);
                var now = await app.WithDbAsync(db => db.ProcessedMessages.CountAsync());
                (seen, still) = (now, now == seen ? still + 1 : 0);
                return (Count: now, Still: still);
            },
            s => s.Still >= 10, TimeSpan.FromSeconds(90), "the consumers to stop recording messages");
        if (previous is { } expected)
        {
            Assert.Equal(expected + extra, settled.Count);
        }

        return settled.Count;
    }
}

public sealed class RedeliveryTests_Embedded() : RedeliveryTests(Profile.Embedded);

public sealed class RedeliveryTests_Production() : RedeliveryTests(Profile.Production);
