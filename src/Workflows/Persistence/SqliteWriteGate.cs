using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// SQLite has one writer at a time. Instead of letting writers collide and back off (unfair,
/// with waits of seconds under load), transactions on one database file queue on a fair
/// in-process gate: taken when a transaction starts, given back when it commits, rolls back,
/// fails, or its connection closes. Readers outside transactions never wait (WAL).
/// </summary>
public sealed class SqliteWriteGate : DbTransactionInterceptor
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<DbConnection, Hold> byConnection = [];
    private readonly ConditionalWeakTable<DbTransaction, Hold> byTransaction = [];

    /// <summary>One taken gate, given back exactly once.</summary>
    private sealed class Hold(SemaphoreSlim gate)
    {
        private int released;

        public void Release()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Release();
            }
        }
    }

    public override InterceptionResult<DbTransaction> TransactionStarting(DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        var gate = GateOf(connection);
        gate.Wait();
        byConnection.AddOrUpdate(connection, new Hold(gate));
        return result;
    }

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        var gate = GateOf(connection);
        await gate.WaitAsync(cancellationToken);
        byConnection.AddOrUpdate(connection, new Hold(gate));
        return result;
    }

    public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        Track(connection, result);
        return result;
    }

    public override ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
    {
        Track(connection, result);
        return ValueTask.FromResult(result);
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Release(transaction);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(transaction);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Release(transaction);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(transaction);
        return Task.CompletedTask;
    }

    public override void TransactionFailed(DbTransaction transaction, TransactionErrorEventData eventData) => Release(transaction);

    public override Task TransactionFailedAsync(DbTransaction transaction, TransactionErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(transaction);
        return Task.CompletedTask;
    }

    /// <summary>A transaction disposed without commit or rollback ends when its connection closes.</summary>
    public void ReleaseConnection(DbConnection connection)
    {
        if (byConnection.TryGetValue(connection, out var hold))
        {
            byConnection.Remove(connection);
            hold.Release();
        }
    }

    private void Track(DbConnection connection, DbTransaction transaction)
    {
        if (byConnection.TryGetValue(connection, out var hold))
        {
            byTransaction.AddOrUpdate(transaction, hold);
        }
    }

    private void Release(DbTransaction transaction)
    {
        if (byTransaction.TryGetValue(transaction, out var hold))
        {
            byTransaction.Remove(transaction);
            hold.Release();
        }
    }

    private static SemaphoreSlim GateOf(DbConnection connection) => Gates.GetOrAdd(connection.DataSource, _ => new SemaphoreSlim(1, 1));
}

/// <summary>Gives the write gate back when a connection closes while holding it.</summary>
public sealed class SqliteWriteGateRelease(SqliteWriteGate gate) : DbConnectionInterceptor
{
    public override void ConnectionClosed(DbConnection connection, ConnectionEndEventData eventData) => gate.ReleaseConnection(connection);

    public override Task ConnectionClosedAsync(DbConnection connection, ConnectionEndEventData eventData)
    {
        gate.ReleaseConnection(connection);
        return Task.CompletedTask;
    }
}
