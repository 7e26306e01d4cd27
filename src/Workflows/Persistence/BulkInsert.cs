using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Writes many new rows of one entity type as multi-row INSERT statements on the context's own
/// connection and open transaction, with the model's columns, value converters and type mappings
/// (what SaveChanges would write), but without change tracking or a round trip per few rows.
/// Opening a check-in writes five rows per measure; at 100,000 measures, tracking half a million
/// entities costs more than the writing. Store-generated keys (the outbox sequence, the journal's
/// row id) are left to the database, in the order the rows are given, and so are computed columns.
/// </summary>
public static class BulkInsert
{
    // Parameters per statement. PostgreSQL allows 65,535. SQLite allows 32,766, but Microsoft.Data.Sqlite
    // finds each parameter's index by name, a linear search, so binding grows with the square of the
    // count: 16,000 per statement made a check-in of 10,000 measures take 35 s; 1,000 keeps it linear.
    private const int ParametersPerStatementPostgres = 16000;
    private const int ParametersPerStatementSqlite = 1000;

    public static async Task InsertAsync<T>(ReformDbContext db, IReadOnlyList<T> rows, CancellationToken cancellationToken)
        where T : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("A bulk insert runs inside the caller's transaction.");
        var entity = db.Model.FindEntityType(typeof(T)) ?? throw new InvalidOperationException($"{typeof(T).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
        var sql = db.GetService<ISqlGenerationHelper>();
        var columns = entity.GetProperties().Where(p => !StoreGenerated(p)).Select(p =>
        {
            if (p.IsShadowProperty())
            {
                throw new InvalidOperationException($"{typeof(T).Name}.{p.Name} is a shadow property; a bulk insert writes only mapped CLR properties.");
            }

            return (Name: sql.DelimitIdentifier(p.GetColumnName(table)!), Getter: p.GetGetter(), Mapping: p.GetRelationalTypeMapping(), Nullable: p.IsNullable);
        }).ToList();
        var prefix = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({string.Join(", ", columns.Select(c => c.Name))}) VALUES ";
        var perStatement = Math.Max(1, (db.Database.OnPostgres() ? ParametersPerStatementPostgres : ParametersPerStatementSqlite) / columns.Count);
        var connection = transaction.Connection!;
        for (var from = 0; from < rows.Count; from += perStatement)
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var text = new StringBuilder(prefix);
            var count = Math.Min(perStatement, rows.Count - from);
            var parameter = 0;
            for (var i = 0; i < count; i++)
            {
                text.Append(i == 0 ? "(" : ", (");
                for (var c = 0; c < columns.Count; c++)
                {
                    var name = "p" + parameter++;
                    text.Append(c == 0 ? string.Empty : ", ").Append(sql.GenerateParameterNamePlaceholder(name));
                    var column = columns[c];
                    command.Parameters.Add(column.Mapping.CreateParameter(command, sql.GenerateParameterName(name), column.Getter.GetClrValue(rows[from + i]), column.Nullable));
                }

                text.Append(')');
            }

            command.CommandText = text.ToString();
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    // A key the database numbers itself (identity on PostgreSQL, INTEGER PRIMARY KEY on SQLite), or a
    // column it computes (a work task's candidate group key).
    private static bool StoreGenerated(IProperty property) =>
        (property.IsPrimaryKey() && property.ValueGenerated == ValueGenerated.OnAdd && (property.ClrType == typeof(long) || property.ClrType == typeof(int)))
        || property.GetComputedColumnSql() is not null;
}
