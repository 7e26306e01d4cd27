using System.Collections.Concurrent;
using System.Data.Common;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Reads rows of one entity type from a data reader as EF Core's own materialiser does: every mapped
/// column of the type's table (shadow properties aside), each read with its type mapping's reader
/// method, adjusted as the provider adjusts it, and converted by the mapping's value converter. Built
/// once per entity type (so per provider, each has its model) and compiled to one delegate.
/// The counterpart of <see cref="ChangeBatch"/> for a hot read: a query that EF Core runs through its
/// query pipeline and shaper costs several times the reading itself (see <c>ReportRows</c>).
/// </summary>
internal sealed class RowReader<T>
    where T : class
{
    private static readonly ConcurrentDictionary<IEntityType, RowReader<T>> Readers = new();

    private readonly Func<DbDataReader, int, T> read;

    private RowReader(IReadOnlyList<string> columns, Func<DbDataReader, int, T> read)
    {
        Columns = columns;
        this.read = read;
    }

    /// <summary>The table's columns in the order <see cref="Read"/> expects them, undelimited.</summary>
    public IReadOnlyList<string> Columns { get; }

    public static RowReader<T> For(DbContext db) =>
        Readers.GetOrAdd(db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model."), Build);

    /// <summary>The columns, each delimited and qualified with <paramref name="alias"/>, comma-separated.</summary>
    public string Select(string alias, ISqlGenerationHelper sql) =>
        string.Join(", ", Columns.Select(c => alias + "." + sql.DelimitIdentifier(c)));

    /// <summary>A new instance from the current row, its columns starting at <paramref name="offset"/>.</summary>
    public T Read(DbDataReader reader, int offset) => read(reader, offset);

    private static RowReader<T> Build(IEntityType type)
    {
        var table = StoreObjectIdentifier.Table(type.GetTableName() ?? throw new InvalidOperationException($"{type.DisplayName()} is not mapped to a table."), type.GetSchema());
        var reader = Expression.Parameter(typeof(DbDataReader), "reader");
        var offset = Expression.Parameter(typeof(int), "offset");
        var entity = Expression.Variable(typeof(T), "entity");
        var body = new List<Expression> { Expression.Assign(entity, Expression.New(typeof(T))) };
        var columns = new List<string>();
        foreach (var property in type.GetProperties().Where(p => !p.IsShadowProperty()))
        {
            var ordinal = Expression.Add(offset, Expression.Constant(columns.Count));
            columns.Add(property.GetColumnName(table) ?? throw new InvalidOperationException($"{type.DisplayName()}.{property.Name} has no column."));
            var mapping = property.GetRelationalTypeMapping();
            var method = mapping.GetDataReaderMethod();
            Expression value = Expression.Call(method.IsStatic ? null : Expression.Convert(reader, method.DeclaringType!), method, ordinal);
            value = mapping.CustomizeDataReaderExpression(value);
            var converter = mapping.Converter;
            var providerType = converter?.ProviderClrType ?? property.ClrType;
            providerType = Nullable.GetUnderlyingType(providerType) ?? providerType;
            if (value.Type != providerType)
            {
                value = Expression.Convert(value, providerType);
            }

            if (converter is not null)
            {
                var fromProvider = converter.ConvertFromProviderExpression;
                value = Expression.Invoke(fromProvider, value.Type == fromProvider.Parameters[0].Type ? value : Expression.Convert(value, fromProvider.Parameters[0].Type));
            }

            if (value.Type != property.ClrType)
            {
                value = Expression.Convert(value, property.ClrType);
            }

            if (property.IsNullable)
            {
                value = Expression.Condition(
                    Expression.Call(reader, typeof(DbDataReader).GetMethod(nameof(DbDataReader.IsDBNull), [typeof(int)])!, ordinal),
                    Expression.Default(property.ClrType),
                    value);
            }

            var member = property.GetMemberInfo(forMaterialization: true, forSet: true);
            body.Add(Expression.Assign(Expression.MakeMemberAccess(entity, member), value));
        }

        body.Add(entity);
        var lambda = Expression.Lambda<Func<DbDataReader, int, T>>(Expression.Block([entity], body), reader, offset);
        return new RowReader<T>(columns, lambda.Compile());
    }
}
