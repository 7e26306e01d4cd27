using System.Collections.Frozen;
using AomoriReform.Contracts.Plan;

namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// The message types the outbox may carry: the records of AomoriReform.Contracts, looked up
/// by full name. Only these are ever deserialised from an outbox row.
/// </summary>
public static class ContractTypes
{
    private static readonly FrozenDictionary<string, Type> ByName = typeof(PlanImported).Assembly
        .GetExportedTypes()
        .Where(t => t is { IsClass: true, IsSealed: true, IsAbstract: false } && t.Namespace?.StartsWith("AomoriReform.Contracts", StringComparison.Ordinal) == true)
        .ToFrozenDictionary(t => t.FullName!, StringComparer.Ordinal);

    public static IEnumerable<Type> All => ByName.Values;

    public static Type Resolve(string fullName) =>
        ByName.TryGetValue(fullName, out var type)
            ? type
            : throw new InvalidOperationException($"Outbox message type '{fullName}' is not a contract of AomoriReform.Contracts.");

    public static string NameOf(Type type) =>
        ByName.ContainsKey(type.FullName ?? string.Empty)
            ? type.FullName!
            : throw new ArgumentException($"{type.Name} is not a contract of AomoriReform.Contracts.", nameof(type));
}
