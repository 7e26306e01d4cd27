using AomoriReform.Tests.Faults;
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

    /// <summary>The same on PostgreSQL and RabbitMQ with durable quorum queues, as production runs it.</summary>
    [Fact]
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
        using var load = new ApprovalLoad([host.BaseAddress]);
        await load.PrepareAsync();

        async Task KillAndRestartAsync()
        {
            await host.KillAsync();
            await host.RestartAsync();
        }

        // SIGKILL halfway through the approve wave and again halfway through the accept wave.
        await load.RunAsync(null, new(KillAndRestartAsync), new(KillAndRestartAsync));

        await using var db = database.CreateContext();
        await load.AssertConsistentAsync(() => db.OutboxMessages.CountAsync(m => m.SentAt == null));
    }
}
