using System.Collections.Concurrent;
using MassTransit;

namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// Which of our consumers take each contract, by the name under which each records the message
/// ids it handled in <c>processed_messages</c> (its class name, see <see cref="IdempotentConsumer"/>
/// and the projection). On the in-memory bus a message counts as delivered once every one of them
/// has recorded its id: that row is written in the same transaction as the consumer's effect.
/// </summary>
public sealed class OutboxConsumers
{
    private readonly (Type Message, string Consumer)[] subscriptions;
    private readonly ConcurrentDictionary<string, string[]> byMessageType = new(StringComparer.Ordinal);

    public OutboxConsumers(IEnumerable<Type> consumerTypes) =>
        subscriptions = consumerTypes
            .SelectMany(consumer => consumer.GetInterfaces()
                .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))
                .Select(i => i.GetGenericArguments()[0])
                .Select(message => message.IsGenericType && message.GetGenericTypeDefinition() == typeof(Batch<>) ? message.GetGenericArguments()[0] : message)
                .Select(message => (message, NameOf(consumer))))
            .Distinct()
            .ToArray();

    /// <summary>The consumers the messaging registration adds: every consumer class of this assembly.</summary>
    public static OutboxConsumers OfThisAssembly() => new(typeof(OutboxConsumers).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IConsumer<>))));

    /// <summary>The name a consumer records in <c>processed_messages</c>.</summary>
    public static string NameOf(Type consumer) => consumer.Name;

    /// <summary>The consumers a published message of this contract reaches (a consumer of a base type included).</summary>
    public IReadOnlyList<string> Of(string messageType) => byMessageType.GetOrAdd(messageType, name =>
    {
        var type = ContractTypes.Resolve(name);
        return subscriptions.Where(s => s.Message.IsAssignableFrom(type)).Select(s => s.Consumer).Distinct().Order(StringComparer.Ordinal).ToArray();
    });
}
