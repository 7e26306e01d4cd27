using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Writes a unit of work's tracked changes, the rows it read untracked and changed (<see cref="LoadedRow"/>)
/// and the new rows it never handed to the tracker (<see cref="NewRow"/>),
/// as SaveChanges would write tracked changes (new rows, and the changed columns of
/// changed rows, each update checked against the row's key and concurrency tokens as loaded, with the
/// model's columns, value converters and type mappings), without EF Core's update pipeline, and on
/// PostgreSQL in one round trip: one batch, which the server runs as one implicit transaction when
/// the context has none open, so the unit of work needs no COMMIT of its own. An approval's writes
/// (the report, the task closed and the one opened, the journal entry, the outbox rows) were a
/// fifth of the host's CPU through SaveChanges, and its COMMIT one round trip of three.
/// <list type="bullet">
/// <item>An update that finds no row as loaded (another unit of work changed it first) fails the whole
/// batch: on PostgreSQL through <c>expect_changed</c> (migration <c>ExpectChanged</c>), which raises
/// <see cref="ConflictState"/> inside the batch so that nothing of it commits; on SQLite by its count,
/// inside the transaction this takes (and with it the write gate). Either way the caller gets
/// <see cref="DbUpdateConcurrencyException"/>, and a constraint violation <see cref="DbUpdateException"/>,
/// as from SaveChanges; a failure of the storage itself is thrown as it is.</item>
/// <item>New rows go in the order of their foreign keys (principals first), and rows of one type in the
/// order they were added (their temporary keys; then the untracked ones in the order given): the outbox's
/// sequence, and so the events' order within a stream, is the order of <see cref="Messaging.Outbox.Add{T}"/>
/// (or of the rows handed over).</item>
/// <item>The commit watchers (<see cref="CommitWatchInterceptor"/>: the dispatcher's wake-up, the caller
/// cache) hear of the write as they do of SaveChanges: at once without a transaction, at its commit
/// inside one.</item>
/// <item>Afterwards the context tracks nothing (a store-generated key is not read back); a deletion is
/// refused, as nothing that uses this deletes.</item>
/// </list>
/// </summary>
public static class ChangeBatch
{
    /// <summary>The SQLSTATE <c>expect_changed</c> raises: a row was not as loaded.</summary>
    public const string ConflictState = "AR409";

    private static readonly ConcurrentDictionary<IEntityType, int> Ranks = new();

    public static Task SaveAsync(DbContext db, CancellationToken cancellationToken) => SaveAsync(db, [], cancellationToken);

    /// <summary>
    /// As <see cref="SaveAsync(DbContext, CancellationToken)"/>, and with it rows the change tracker does not hold:
    /// each <see cref="LoadedRow"/> is written if a column differs from its value as read (those columns only,
    /// checked against its key and concurrency tokens as read), before the tracker's changed rows; each
    /// <see cref="NewRow"/> is inserted with the tracker's new rows, after those of its type.
    /// </summary>
    internal static async Task SaveAsync(DbContext db, IReadOnlyCollection<Row> rows, CancellationToken cancellationToken)
    {
        // One change detection, as SaveChanges does; the watchers below look at the same entries.
        var entries = db.ChangeTracker.Entries().Where(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted).ToList();
        if (entries.FirstOrDefault(e => e.State == EntityState.Deleted) is { } deleted)
        {
            throw new InvalidOperationException($"ChangeBatch writes new and changed rows only; {deleted.Metadata.DisplayName()} is marked deleted.");
        }

        var postgres = db.Database.OnPostgres();
        var sql = db.GetService<ISqlGenerationHelper>();
        var statements = new List<Statement>(rows.Count + entries.Count);
        foreach (var row in Order(rows, entries))
        {
            if (Write(row, sql, postgres) is { } statement)
            {
                statements.Add(statement);
            }
        }

        if (statements.Count == 0)
        {
            return;
        }

        var watchers = Watchers(db);
        var detect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            foreach (var watcher in watchers)
            {
                watcher.Saving(db, rows);
            }
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detect;
        }

        try
        {
            if (postgres)
            {
                await WriteBatchAsync(db, statements, cancellationToken);
            }
            else
            {
                await WriteInTransactionAsync(db, statements, cancellationToken);
            }
        }
        catch
        {
            foreach (var watcher in watchers)
            {
                watcher.Failed(db);
            }

            throw;
        }

        foreach (var watcher in watchers)
        {
            watcher.Saved(db);
        }

        db.ChangeTracker.Clear();
    }

    private sealed record Statement(string Sql, List<(RelationalTypeMapping Mapping, object? Value, bool Nullable)> Values, bool Checked, string What);

    /// <summary>
    /// Changed rows first (a conflict on the report is found before anything is inserted): the rows read untracked in
    /// the order given, then the tracker's; then new rows by foreign key depth, the types in the order first met, and
    /// within a type the tracker's in the order added, then those handed over in their order.
    /// </summary>
    private static IEnumerable<Row> Order(IReadOnlyCollection<Row> rows, List<EntityEntry> entries)
    {
        var types = new Dictionary<IEntityType, int>();
        foreach (var entry in entries)
        {
            types.TryAdd(entry.Metadata, types.Count);
        }

        foreach (var row in rows)
        {
            types.TryAdd(row.Type, types.Count);
        }

        var tracked = entries
            .Select((entry, index) => (Row: (Row)new TrackedRow(entry), Added: entry.State == EntityState.Added, Source: 0, Order: AddedOrder(entry), Index: index));
        var handed = rows.Select((row, index) => (Row: row, row.Added, Source: 1, Order: (long)index, Index: index));
        return rows.Where(row => !row.Added)
            .Concat(tracked.Concat(handed.Where(x => x.Added))
                .OrderBy(x => x.Added ? 1 : 0)
                .ThenBy(x => Rank(x.Row.Type))
                .ThenBy(x => types[x.Row.Type])
                .ThenBy(x => x.Source)
                .ThenBy(x => x.Order)
                .ThenBy(x => x.Index)
                .Select(x => x.Row));
    }

    // A store-generated key is a temporary value until saved, and EF Core hands those out in increasing order.
    private static long AddedOrder(EntityEntry entry)
    {
        if (entry.State != EntityState.Added || entry.Metadata.FindPrimaryKey() is not { Properties: [var key] })
        {
            return 0;
        }

        var property = entry.Property(key.Name);
        return property.IsTemporary && property.CurrentValue is IConvertible value ? value.ToInt64(null) : 0;
    }

    // How many foreign keys deep a type is: a row's principals go in before it.
    private static int Rank(IEntityType type) => Ranks.GetOrAdd(type, t => Depth(t, []));

    private static int Depth(IEntityType type, HashSet<IEntityType> seen)
    {
        if (!seen.Add(type))
        {
            return 0;
        }

        var depth = type.GetForeignKeys().Where(fk => fk.PrincipalEntityType != type)
            .Select(fk => 1 + Depth(fk.PrincipalEntityType, seen)).DefaultIfEmpty(0).Max();
        seen.Remove(type);
        return depth;
    }

    private static StoreObjectIdentifier Table(IEntityType type) =>
        StoreObjectIdentifier.Table(type.GetTableName() ?? throw new InvalidOperationException($"{type.DisplayName()} is not mapped to a table."), type.GetSchema());

    /// <summary>
    /// What a statement looks like for one kind of write to one entity type: its SQL, and the properties whose
    /// current values (then original values) it binds, in order. The SQL depends only on the type, the
    /// provider, whether the row is new, which columns it writes and which of its key or concurrency values
    /// were null as loaded, so it is built once per such shape, not per row: resolving column names, type
    /// mappings and quoting for every row was a twentieth of the host's CPU under load.
    /// </summary>
    private sealed record Shape(string Sql, IProperty[] Current, IProperty[] Original, RelationalTypeMapping[] Mappings, string What);

    private static readonly ConcurrentDictionary<(IEntityType Type, bool Postgres, bool Added, ulong Written, ulong NullOriginals), Shape> Shapes = new();
    private static readonly ConcurrentDictionary<IEntityType, IProperty[]> Properties = new();

    /// <summary>The most properties an entity type written here may have: one bit each in a shape's key.</summary>
    public const int MaxProperties = 64;

    /// <summary>
    /// The row's statement: its shape looked up by the columns it writes and the key or concurrency values
    /// null as loaded (a bit each, so an entity type may have at most 64 properties; the model test
    /// <c>Every_entity_type_fits_a_change_batch_shape</c> holds every type of ours to that), then its values bound.
    /// </summary>
    private static Statement? Write(Row row, ISqlGenerationHelper sql, bool postgres)
    {
        var added = row.Added;
        var properties = PropertiesOf(row.Type);
        var written = 0UL;
        var nullOriginals = 0UL;
        for (var i = 0; i < properties.Length; i++)
        {
            if (row.Writes(properties[i]))
            {
                written |= 1UL << i;
            }

            if (!added && (properties[i].IsPrimaryKey() || properties[i].IsConcurrencyToken) && row.Original(properties[i]) is null)
            {
                nullOriginals |= 1UL << i;
            }
        }

        if (written == 0 && row is LoadedRow)
        {
            // Read and not changed: as an unchanged tracked row, nothing to write.
            return null;
        }

        var shape = Shapes.GetOrAdd(
            (row.Type, postgres, added, written, nullOriginals),
            _ => added ? BuildInsert(row, properties, sql, postgres) : BuildUpdate(row, properties, sql, postgres));
        return Bound(row, shape, Checked: !added);
    }

    internal static IProperty[] PropertiesOf(IEntityType type) => Properties.GetOrAdd(type, t => t.GetProperties().Count() <= MaxProperties
        ? [.. t.GetProperties()]
        : throw new InvalidOperationException($"ChangeBatch writes entity types of at most {MaxProperties} properties; {t.DisplayName()} has {t.GetProperties().Count()}."));

    private static Statement Bound(Row row, Shape shape, bool Checked)
    {
        var values = new List<(RelationalTypeMapping, object?, bool)>(shape.Mappings.Length);
        foreach (var property in shape.Current)
        {
            values.Add((shape.Mappings[values.Count], row.Current(property), property.IsNullable));
        }

        foreach (var property in shape.Original)
        {
            values.Add((shape.Mappings[values.Count], row.Original(property), property.IsNullable));
        }

        return new Statement(shape.Sql, values, Checked, shape.What);
    }

    private static Shape BuildInsert(Row row, IProperty[] properties, ISqlGenerationHelper sql, bool postgres)
    {
        var table = Table(row.Type);
        var columns = new StringBuilder();
        var placeholders = new StringBuilder();
        var current = properties.Where(row.Writes).ToArray();
        for (var i = 0; i < current.Length; i++)
        {
            columns.Append(i == 0 ? string.Empty : ", ").Append(sql.DelimitIdentifier(current[i].GetColumnName(table)!));
            placeholders.Append(i == 0 ? string.Empty : ", ").Append(Placeholder(sql, postgres, i));
        }

        return new Shape(
            $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({columns}) VALUES ({placeholders})",
            current, [], [.. current.Select(p => p.GetRelationalTypeMapping())], row.Type.DisplayName());
    }

    private static Shape BuildUpdate(Row row, IProperty[] properties, ISqlGenerationHelper sql, bool postgres)
    {
        var table = Table(row.Type);
        var text = new StringBuilder("UPDATE ").Append(sql.DelimitIdentifier(table.Name, table.Schema)).Append(" SET ");
        var current = properties.Where(row.Writes).ToArray();
        for (var i = 0; i < current.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(sql.DelimitIdentifier(current[i].GetColumnName(table)!)).Append(" = ").Append(Placeholder(sql, postgres, i));
        }

        if (current.Length == 0)
        {
            // Marked modified with nothing that may be written: EF Core would still check that the row is there.
            var key = row.Type.FindPrimaryKey()!.Properties[0];
            var column = sql.DelimitIdentifier(key.GetColumnName(table)!);
            text.Append(column).Append(" = ").Append(column);
        }

        var original = new List<IProperty>();
        var first = true;
        foreach (var property in properties.Where(p => p.IsPrimaryKey() || p.IsConcurrencyToken))
        {
            text.Append(first ? " WHERE " : " AND ").Append(sql.DelimitIdentifier(property.GetColumnName(table)!));
            first = false;
            if (row.Original(property) is null)
            {
                text.Append(" IS NULL");
                continue;
            }

            text.Append(" = ").Append(Placeholder(sql, postgres, current.Length + original.Count));
            original.Add(property);
        }

        var update = text.ToString();
        return new Shape(
            postgres ? $"WITH changed AS ({update} RETURNING 1) SELECT expect_changed(count(*), {Literal(row.Type.DisplayName())}) FROM changed" : update,
            current, [.. original], [.. current.Concat(original).Select(p => p.GetRelationalTypeMapping())], row.Type.DisplayName());
    }

    /// <summary>What a statement is built from: a row's type, whether it is new, which columns it writes, and its values now and as loaded.</summary>
    internal abstract class Row
    {
        internal Row()
        {
        }

        internal abstract IEntityType Type { get; }

        internal abstract bool Added { get; }

        internal abstract bool Writes(IProperty property);

        internal abstract object? Current(IProperty property);

        internal abstract object? Original(IProperty property);
    }

    /// <summary>
    /// A row the change tracker holds, new or changed. Its values are read through the entry's value sets, not a
    /// <see cref="PropertyEntry"/> per value (an allocation each, about 75 per action); a value can be temporary
    /// only where the model generates one.
    /// </summary>
    private sealed class TrackedRow(EntityEntry entry) : Row
    {
        private readonly bool added = entry.State == EntityState.Added;
        private PropertyValues? current;
        private PropertyValues? original;

        internal override IEntityType Type => entry.Metadata;

        internal override bool Added => added;

        internal override bool Writes(IProperty property) => added
            ? property.GetBeforeSaveBehavior() == PropertySaveBehavior.Save && (property.ValueGenerated == ValueGenerated.Never || !entry.Property(property).IsTemporary)
            : property.GetAfterSaveBehavior() == PropertySaveBehavior.Save && entry.Property(property).IsModified;

        internal override object? Current(IProperty property) => (current ??= entry.CurrentValues)[property];

        internal override object? Original(IProperty property) => (original ??= entry.OriginalValues)[property];
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    // PostgreSQL: positional ($1), which Npgsql sends as they are; SQLite: named.
    private static string Placeholder(ISqlGenerationHelper sql, bool postgres, int index) =>
        postgres ? "$" + (index + 1) : sql.GenerateParameterNamePlaceholder("p" + index);

    private static void Bind(DbCommand factory, DbParameterCollection parameters, Statement statement, ISqlGenerationHelper sql, bool postgres)
    {
        for (var i = 0; i < statement.Values.Count; i++)
        {
            var (mapping, value, nullable) = statement.Values[i];
            parameters.Add(mapping.CreateParameter(factory, postgres ? string.Empty : sql.GenerateParameterName("p" + i), value, nullable));
        }
    }

    /// <summary>PostgreSQL: every statement in one batch, in the context's transaction if it has one, else in the batch's own.</summary>
    private static async Task WriteBatchAsync(DbContext db, List<Statement> statements, CancellationToken cancellationToken)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using var factory = connection.CreateCommand();
            await using var batch = new NpgsqlBatch(connection, (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction());
            foreach (var statement in statements)
            {
                var command = new NpgsqlBatchCommand(statement.Sql);
                Bind(factory, command.Parameters, statement, sql, postgres: true);
                batch.BatchCommands.Add(command);
            }

            try
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == ConflictState)
            {
                throw new DbUpdateConcurrencyException(e.MessageText, e);
            }
            catch (PostgresException e) when (e.SqlState.StartsWith("23", StringComparison.Ordinal))
            {
                throw new DbUpdateException($"A write was refused by the constraint {e.ConstraintName}: {e.MessageText}", e);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>SQLite: one statement after another in a transaction (the context's, or one taken here, which holds the write gate).</summary>
    private static async Task WriteInTransactionAsync(DbContext db, List<Statement> statements, CancellationToken cancellationToken)
    {
        var sql = db.GetService<ISqlGenerationHelper>();
        await using var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var transaction = db.Database.CurrentTransaction!.GetDbTransaction();
        foreach (var statement in statements)
        {
            await using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = statement.Sql;
            Bind(command, command.Parameters, statement, sql, postgres: false);
            int changed;
            try
            {
                changed = await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 19)
            {
                throw new DbUpdateException($"A write to {statement.What} was refused by a constraint: {e.Message}", e);
            }

            if (statement.Checked && changed != 1)
            {
                throw new DbUpdateConcurrencyException($"A {statement.What} row was not as loaded: another unit of work changed it first.");
            }
        }

        if (own is not null)
        {
            await own.CommitAsync(cancellationToken);
        }
    }

    private static List<CommitWatchInterceptor> Watchers(DbContext db) =>
        db.GetService<IDbContextOptions>().FindExtension<Microsoft.EntityFrameworkCore.Infrastructure.CoreOptionsExtension>()?.Interceptors?.OfType<CommitWatchInterceptor>().ToList() ?? [];
}
