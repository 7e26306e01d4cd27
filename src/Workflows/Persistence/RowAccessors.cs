using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// How <see cref="LoadedRow"/> and <see cref="NewRow"/> read an entity without EF Core's change tracker: an entity
/// type's properties (in <see cref="ChangeBatch"/>'s order), their getters (null for a shadow property, which has no
/// value on the object) and value comparers, built once per type.
/// </summary>
internal sealed class RowAccessors
{
    private static readonly ConcurrentDictionary<IEntityType, RowAccessors> ByType = new();

    private RowAccessors(IEntityType type)
    {
        Type = type;
        var properties = ChangeBatch.PropertiesOf(type);
        Properties = properties;
        Getters = [.. properties.Select(p => p.IsShadowProperty() ? null : p.GetGetter())];
        Comparers = [.. properties.Select(p => p.GetValueComparer())];
        Index = properties.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
    }

    public static RowAccessors Of<T>(DbContext db)
        where T : class
    {
        var type = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        return ByType.GetOrAdd(type, t => new RowAccessors(t));
    }

    public IEntityType Type { get; }

    public IProperty[] Properties { get; }

    public IClrPropertyGetter?[] Getters { get; }

    public ValueComparer[] Comparers { get; }

    public Dictionary<IProperty, int> Index { get; }

    /// <summary>The property's value on the entity; null for a shadow property.</summary>
    public object? Value(object entity, IProperty property) => Getters[Index[property]]?.GetClrValueUsingContainingEntity(entity);
}
