using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Settings of each native SQLite handle, set once per handle rather than on every open (the
/// driver pools handles, and EF Core opens the connection for each query: that was one extra
/// statement per query). Durability settings are untouched: WAL with synchronous FULL.
/// <list type="bullet">
/// <item><c>busy_timeout</c>: SQLite itself waits for the single writer lock with its own short
/// back-off, instead of returning SQLITE_BUSY to the driver, which retries only after long sleeps.</item>
/// <item><c>wal_autocheckpoint</c>: a commit no longer copies the write-ahead log into the database
/// file itself (SQLite's default, every 1,000 pages) while every other writer waits behind it;
/// <see cref="SqliteCheckpointer"/> does that in the background. The higher threshold stays as a
/// backstop should the checkpointer ever stop.</item>
/// </list>
/// </summary>
public sealed class SqliteHandleSettings : DbConnectionInterceptor
{
    /// <summary>Pages (4 KiB each) the log may hold before a commit checkpoints it itself.</summary>
    public const int AutoCheckpointPages = 10_000;

    private static readonly string Pragma = $"PRAGMA busy_timeout = 30000; PRAGMA wal_autocheckpoint = {AutoCheckpointPages};";
    private static readonly ConditionalWeakTable<object, object> Configured = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (FirstOpen(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            command.ExecuteNonQuery();
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (FirstOpen(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragma;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>True the first time this native handle is seen (or when the handle cannot be told apart).</summary>
    private static bool FirstOpen(DbConnection connection) =>
        connection is not SqliteConnection { Handle: { } handle } || Configured.TryAdd(handle, handle);
}
