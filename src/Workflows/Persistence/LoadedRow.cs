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
    private readonly object entity;
    private readonly RowAccessors accessors;
    private readonly object?[] originals;

    private LoadedRow(RowAccessors accessors, object entity)
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
        where T : class => new(RowAccessors.Of<T>(db), entity);

    internal override IEntityType Type => accessors.Type;

    internal override bool Added => false;

    internal override bool Writes(IProperty property)
    {
        var i = accessors.Index[property];
        return accessors.Getters[i] is { } getter && property.GetAfterSaveBehavior() == PropertySaveBehavior.Save
            && !accessors.Comparers[i].Equals(getter.GetClrValueUsingContainingEntity(entity), originals[i]);
    }

    internal override object? Current(IProperty property) => accessors.Value(entity, property);

    internal override object? Original(IProperty property) => originals[accessors.Index[property]];
}
