using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// A row read without EF Core's change tracker, with its values as read (taken when this is made, so make it
/// before changing the row): <see cref="ChangeBatch"/> writes the columns whose values differ from those by the
/// model's value comparers, checked against the row's key and concurrency tokens as read, as it writes a
/// tracked row that changed; a row that did not change is not written. An action's report and open tasks go
/// this way: tracking them (EF Core's Attach and the original values' snapshot, then its change detection over
/// every property at the write) was about a twelfth of the host's CPU per action.
/// Shadow properties have no value on the object, so they are neither compared nor written.
/// </summary>
internal sealed class LoadedRow : ChangeBatch.Row
{
    private static readonly ConcurrentDictionary<IEntityType, Accessors> ByType = new();

    private readonly object entity;
    private readonly Accessors accessors;
    private readonly object?[] originals;

    private LoadedRow(Accessors accessors, object entity)
    {
        this.accessors = accessors;
        this.entity = entity;
        originals = new object?[accessors.Properties.Length];
        for (var i = 0; i < originals.Length; i++)
        {
            originals[i] = accessors.Getters[i]?.GetClrValueUsingContainingEntity(entity);
        }
    }

    public static LoadedRow Of<T>(DbContext db, T entity)
        where T : class
    {
        var type = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        return new LoadedRow(ByType.GetOrAdd(type, t => new Accessors(t)), entity);
    }

    internal override IEntityType Type => accessors.Type;

    internal override bool Added => false;

    internal override bool Writes(IProperty property)
    {
        var i = accessors.Index[property];
        return accessors.Getters[i] is { } getter && property.GetAfterSaveBehavior() == PropertySaveBehavior.Save
            && !accessors.Comparers[i].Equals(getter.GetClrValueUsingContainingEntity(entity), originals[i]);
    }

    internal override object? Current(IProperty property) => accessors.Getters[accessors.Index[property]]?.GetClrValueUsingContainingEntity(entity);

    internal override object? Original(IProperty property) => originals[accessors.Index[property]];

    /// <summary>An entity type, its properties (in <see cref="ChangeBatch"/>'s order), their getters (null for a shadow property) and value comparers.</summary>
    private sealed class Accessors
    {
        public Accessors(IEntityType type)
        {
            Type = type;
            var properties = ChangeBatch.PropertiesOf(type);
            Properties = properties;
            Getters = [.. properties.Select(p => p.IsShadowProperty() ? null : p.GetGetter())];
            Comparers = [.. properties.Select(p => p.GetValueComparer())];
            Index = properties.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
        }

        public IEntityType Type { get; }

        public IProperty[] Properties { get; }

        public IClrPropertyGetter?[] Getters { get; }

        public Microsoft.EntityFrameworkCore.ChangeTracking.ValueComparer[] Comparers { get; }

        public Dictionary<IProperty, int> Index { get; }
    }
}
