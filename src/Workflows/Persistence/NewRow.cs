using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// A row to insert that EF Core's change tracker never holds: <see cref="ChangeBatch"/> inserts it as it inserts a
/// tracked new row (the columns the model saves on insert, a store-generated value left to the database when the
/// entity still has its default), with the rows of its type in the order they were handed over. An action's new
/// rows (the journal entry, the tasks it opens, the submission, the outbox rows, the idempotency record) go this
/// way: EF Core's Add (its graph attacher, identity map and snapshots) and the change detection over those entries
/// before the write were about a twelfth of the host's CPU per action. A store-generated key is not read back.
/// An entity type with a shadow property that an insert must write cannot go this way (it has no value on the object),
/// nor a row whose key EF Core would generate on the client (a Guid) and that still holds its default.
/// </summary>
internal sealed class NewRow : ChangeBatch.Row
{
    private readonly object entity;
    private readonly RowAccessors accessors;

    private NewRow(RowAccessors accessors, object entity)
    {
        this.accessors = accessors;
        this.entity = entity;
    }

    public static NewRow Of<T>(DbContext db, T entity)
        where T : class
    {
        var accessors = RowAccessors.Of<T>(db);
        for (var i = 0; i < accessors.Properties.Length; i++)
        {
            var property = accessors.Properties[i];
            if (accessors.Getters[i] is not { } getter)
            {
                if (property.GetBeforeSaveBehavior() == PropertySaveBehavior.Save)
                {
                    throw new InvalidOperationException($"{accessors.Type.DisplayName()}.{property.Name} is a shadow property an insert writes; add the row to the context instead.");
                }
            }
            else if (property.IsPrimaryKey() && ClientGenerated(property) && getter.HasSentinelValueUsingContainingEntity(entity))
            {
                // EF Core's Add would generate such a key on the client (a Guid); nothing does here.
                throw new InvalidOperationException($"{accessors.Type.DisplayName()}.{property.Name} holds its default; set the key before handing the row over.");
            }
        }

        return new NewRow(accessors, entity);
    }

    internal override IEntityType Type => accessors.Type;

    internal override bool Added => true;

    internal override bool Writes(IProperty property)
    {
        var i = accessors.Index[property];
        return accessors.Getters[i] is { } getter && property.GetBeforeSaveBehavior() == PropertySaveBehavior.Save
            && (!property.ValueGenerated.HasFlag(ValueGenerated.OnAdd) || !getter.HasSentinelValueUsingContainingEntity(entity));
    }

    // A generated key: the database generates integer ones (identity, autoincrement); EF Core the others (Guids) on the client, at Add.
    private static bool ClientGenerated(IProperty property)
    {
        var type = Nullable.GetUnderlyingType(property.ClrType) ?? property.ClrType;
        return property.ValueGenerated.HasFlag(ValueGenerated.OnAdd) && type != typeof(long) && type != typeof(int) && type != typeof(short);
    }

    internal override object? Current(IProperty property) => accessors.Value(entity, property);

    internal override object? Original(IProperty property) => null;
}
