using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Lets SQLite itself wait for the single writer lock with its own short back-off, instead of
/// returning SQLITE_BUSY to the driver, which retries only after long sleeps. Writers then
/// queue tightly; durability settings are untouched.
/// </summary>
public sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    private const string Pragma = "PRAGMA busy_timeout = 30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
