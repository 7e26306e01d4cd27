using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Writes many new rows of one entity type (on PostgreSQL as multi-row INSERT statements, on SQLite as
/// one prepared single-row INSERT executed per row) on the context's own
/// connection and open transaction, with the model's columns, value converters and type mappings
/// (what SaveChanges would write), but without change tracking or a round trip per few rows.
/// Opening a check-in writes five rows per measure; at 100,000 measures, tracking half a million
/// entities costs more than the writing. Store-generated keys (the outbox sequence, the journal's
/// row id) are left to the database, in the order the rows are given, and so are computed columns.
/// </summary>
public static class BulkInsert
{
    // PostgreSQL: rows per statement up to this many parameters (it allows 65,535). SQLite: one row per
    // statement, the same prepared statement executed once per row. SQLite finds a parameter's index by its
    // name with a linear search (sqlite3VListNameToNum), so binding a statement of n parameters costs n^2/2
    // string comparisons: at 1,000 per statement that search was two thirds of a check-in's opening of
    // 100,000 measures (33 s). A statement of one row binds its 10-20 parameters in a few comparisons each.
    private const int ParametersPerStatementPostgres = 16000;

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
        var postgres = db.Database.OnPostgres();
        var perStatement = postgres ? Math.Max(1, ParametersPerStatementPostgres / columns.Count) : 1;
        var connection = transaction.Connection!;
        DbCommand? command = null;
        try
        {
            for (var from = 0; from < rows.Count; from += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - from);
                if (command is null || postgres)
                {
                    // PostgreSQL: a command per statement. A command reused with new parameters after Npgsql had
                    // auto-prepared its text (at its fifth use) wrote rows already written: a duplicate key. Npgsql
                    // keeps a prepared command's parameter list (npgsql/npgsql#3850); BulkInsertTests holds this.
                    // SQLite: one command for every row, its statement prepared once.
                    if (command is not null)
                    {
                        await command.DisposeAsync();
                    }

                    command = connection.CreateCommand();
                    command.Transaction = transaction;
                    command.CommandText = Text(prefix, columns.Count, count, sql);
                }

                command.Parameters.Clear();
                var parameter = 0;
                for (var i = 0; i < count; i++)
                {
                    foreach (var column in columns)
                    {
                        command.Parameters.Add(column.Mapping.CreateParameter(command, sql.GenerateParameterName("p" + parameter++), column.Getter.GetClrValue(rows[from + i]), column.Nullable));
                    }
                }

                await command.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        finally
        {
            if (command is not null)
            {
                await command.DisposeAsync();
            }
        }
    }

    private static string Text(string prefix, int columns, int rows, ISqlGenerationHelper sql)
    {
        var text = new StringBuilder(prefix);
        var parameter = 0;
        for (var i = 0; i < rows; i++)
        {
            text.Append(i == 0 ? "(" : ", (");
            for (var c = 0; c < columns; c++)
            {
                text.Append(c == 0 ? string.Empty : ", ").Append(sql.GenerateParameterNamePlaceholder("p" + parameter++));
            }

            text.Append(')');
        }

        return text.ToString();
    }

    // A key the database numbers itself (identity on PostgreSQL, INTEGER PRIMARY KEY on SQLite), or a
    // column it computes (a work task's candidate group key).
    private static bool StoreGenerated(IProperty property) =>
        (property.IsPrimaryKey() && property.ValueGenerated == ValueGenerated.OnAdd && (property.ClrType == typeof(long) || property.ClrType == typeof(int)))
        || property.GetComputedColumnSql() is not null;
}
