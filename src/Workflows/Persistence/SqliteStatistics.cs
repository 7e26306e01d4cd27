using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Table statistics for SQLite's planner, which PostgreSQL keeps by itself (autovacuum's analyze).
/// Without them SQLite chooses an index by its columns alone and breaks ties by creation order: the
/// inbox read every open task (80 ms at 30,000 open tasks instead of 1.5 ms). The embedded profile
/// gathers them at start-up and after opening a check-in (the year's bulk of reports and tasks), with
/// <c>analysis_limit</c> bounding the rows read per index, so it costs milliseconds at any size.
/// A connection reads the statistics when it loads the schema, so the pool is cleared afterwards:
/// connections open anew and plan with them. No-op on PostgreSQL. Statistics only steer plans: a
/// failure (a full disk, say) leaves the earlier ones and answers false rather than failing the caller,
/// whose own work has committed.
/// </summary>
public static class SqliteStatistics
{
    public static async Task<bool> RefreshAsync(ReformDbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            return true;
        }

        try
        {
            // Through a transaction, so it queues at the write gate like every other writer.
            await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA analysis_limit = 1000; ANALYZE;", cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }
        catch (SqliteException)
        {
            return false;
        }

        SqliteConnection.ClearPool((SqliteConnection)db.Database.GetDbConnection());
        return true;
    }
}
