using System.Net;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace AomoriReform.Tests.Operations;

/// <summary>
/// <c>Messaging:QuorumQueues=true</c> declares the consumers' queues as quorum queues on the real
/// broker (proved by the broker refusing to redeclare one as classic); the default stays classic.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class QuorumQueueTests
{
    [Theory]
    [InlineData(true, "quorum", "classic")]
    [InlineData(false, "classic", "quorum")]
    public async Task The_setting_chooses_the_queue_type_the_broker_holds(bool quorum, string holds, string refuses)
    {
        var prefix = $"q{Guid.NewGuid():N}"[..13];
        var queue = new KebabCaseEndpointNameFormatter(prefix, false).Consumer<AomoriReform.Workflows.Rollups.ReportProjectionConsumer>();
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        var factory = new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        try
        {
            await using (var app = new ReformApp(database, "Development", new Dictionary<string, string?>
            {
                ["Messaging:EndpointPrefix"] = prefix,
                ["Messaging:TemporaryQueues"] = "false",
                ["Messaging:QuorumQueues"] = quorum ? "true" : "false",
            }))
            {
                var client = app.CreateClient();
                await Eventually.Get(async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode, status => status == HttpStatusCode.OK,
                    because: "the bus to connect and declare its queues");
            }

            // Redeclaring with the same type is accepted; with the other type the broker refuses (406 PRECONDITION_FAILED).
            await using (var channel = await connection.CreateChannelAsync())
            {
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = holds });
            }

            await using (var channel = await connection.CreateChannelAsync())
            {
                var refused = await Assert.ThrowsAsync<OperationInterruptedException>(() =>
                    channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = refuses }));
                Assert.Equal((ushort)406, refused.ShutdownReason?.ReplyCode);
            }
        }
        finally
        {
            await DeleteQueuesAsync(prefix);
        }
    }

    /// <summary>Durable queues outlive their host: deletes every consumer's queue (and its exchange) that a host with the prefix declares.</summary>
    internal static async Task DeleteQueuesAsync(string prefix)
    {
        var formatter = new KebabCaseEndpointNameFormatter(prefix, false);
        var consumerQueue = typeof(KebabCaseEndpointNameFormatter).GetMethod(nameof(KebabCaseEndpointNameFormatter.Consumer))!;
        var declared = typeof(AomoriReform.Workflows.Rollups.ReportProjectionConsumer).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>)))
            .Select(t => (string)consumerQueue.MakeGenericMethod(t).Invoke(formatter, null)!);
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in declared.SelectMany(q => new[] { q, $"{q}_error", $"{q}_skipped" }))
        {
            await channel.QueueDeleteAsync(name);
            await channel.ExchangeDeleteAsync(name);
        }
    }
}
