using System.Collections.Concurrent;
using System.Text.Json;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit.Abstractions;

namespace AomoriReform.Tests.Engine;

/// <summary>
/// The RabbitMQ dispatcher publishes new rows while earlier ones wait for the broker's confirms. Two
/// hosts on one database write many events of a few reports in quick commits; a queue of the test's
/// own, bound to the event's exchange, sees what the broker received: each report's events exactly
/// once and in commit order (a report with an event in flight is held back; a host never lets go of
/// the lock while a row it read is unmarked, so the other host never publishes it again), every row
/// marked sent, and no dispatcher session left holding the lock once nothing is left.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class OutboxOrderTests(ITestOutputHelper output)
{
    private const int Reports = 12;
    private const int Rounds = 15;

    [Fact]
    public async Task Each_reports_events_reach_the_broker_once_and_in_commit_order_from_two_hosts()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        // One set of durable queues for both, as hosts of one deployment have (a temporary queue is the
        // host's own): each event is consumed once. Deleted at the end.
        var prefix = $"o{Guid.NewGuid():N}"[..13];
        try
        {
            await TwoHostsAsync(database, new Dictionary<string, string?> { ["Messaging:EndpointPrefix"] = prefix, ["Messaging:TemporaryQueues"] = "false" });
        }
        finally
        {
            await AomoriReform.Tests.Operations.QuorumQueueTests.DeleteQueuesAsync(prefix);
        }
    }

    private async Task TwoHostsAsync(TestDatabase database, Dictionary<string, string?> queues)
    {
        await using var first = new ReformApp(database, "Development", queues);
        await using var second = new ReformApp(database, "Development", queues);
        var hosts = new[] { first, second };
        foreach (var host in hosts)
        {
            var bus = host.Services.GetRequiredService<IBusControl>();
            await Eventually.Get(() => Task.FromResult(bus.CheckHealth().Status), s => s == BusHealthStatus.Healthy, TimeSpan.FromSeconds(60), "the bus to start");
        }

        var received = new ConcurrentQueue<(Guid ReportId, int Version)>();
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        // The hosts' projection consumer declared the event's exchange; a queue of the test's own, gone with it, is bound to it.
        var queue = (await channel.QueueDeclareAsync(string.Empty, durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, "AomoriReform.Contracts.Reports:ReportSubmitted", string.Empty);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            using var envelope = JsonDocument.Parse(delivery.Body);
            var message = envelope.RootElement.GetProperty("message");
            received.Enqueue((message.GetProperty("reportId").GetGuid(), message.GetProperty("version").GetInt32()));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer);

        // Each round is one commit of one event per report, through each host in turn, a few milliseconds
        // apart: rounds are committed while the rounds before are still being published.
        var reports = Enumerable.Range(0, Reports).Select(_ => Guid.NewGuid()).ToList();
        for (var round = 1; round <= Rounds; round++)
        {
            await using var scope = hosts[round % 2].Services.CreateAsyncScope();
            var outbox = scope.ServiceProvider.GetRequiredService<Outbox>();
            foreach (var report in reports)
            {
                outbox.Add(new ReportSubmitted { ReportId = report, FiscalYear = 2025, MeasureCode = "order-test", Status = "Submitted", Version = round, At = DateTime.UtcNow }, report.ToString("N"));
            }

            await scope.ServiceProvider.GetRequiredService<ReformDbContext>().SaveChangesAsync();
            await Task.Delay(Random.Shared.Next(5, 25));
        }

        var ours = reports.ToHashSet();
        await Eventually.Get(() => Task.FromResult(received.Count(r => ours.Contains(r.ReportId))), n => n >= Reports * Rounds, TimeSpan.FromSeconds(60), "every event at the test's queue");
        // Anything published twice would have arrived by now, right behind its first delivery.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var byReport = received.Where(r => ours.Contains(r.ReportId)).ToLookup(r => r.ReportId, r => r.Version);
        output.WriteLine($"{byReport.Sum(g => g.Count())} deliveries of {Reports * Rounds} events");
        foreach (var report in reports)
        {
            Assert.Equal(Enumerable.Range(1, Rounds).ToList(), byReport[report].ToList());
        }

        var unsent = await Eventually.Get(() => first.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.SentAt == null)), n => n == 0, TimeSpan.FromSeconds(30), "every row marked sent");
        Assert.Equal(0, unsent);
        // The session ends once nothing is in flight or unmarked: neither host keeps the lock (and a transaction) open.
        var holders = await Eventually.Get(() => first.WithDbAsync(DispatcherLockHoldersAsync), n => n == 0, TimeSpan.FromSeconds(30), "the dispatchers to let go of the lock");
        Assert.Equal(0, holders);
    }

    private static async Task<int> DispatcherLockHoldersAsync(ReformDbContext db)
    {
        var key = OutboxDispatcher.DispatcherLockKey;
        return await db.Database.SqlQuery<int>($"""
            SELECT count(*)::int AS "Value" FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = {(int)(key >> 32)}::bigint::oid AND objid = {(int)(key & 0xffffffff)}::bigint::oid
            """).SingleAsync();
    }
}
