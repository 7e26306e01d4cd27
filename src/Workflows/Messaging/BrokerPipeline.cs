using System.Diagnostics;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// The dispatcher's RabbitMQ path: it reads and publishes new rows while the rows before are still
/// waiting for the broker's confirms, instead of reading once per round of confirms. Under load a round
/// takes about 100 ms, and a row committed just after a read waited that whole round before it was
/// even read; now it is read within the dispatcher's coalescing window.
/// <list type="bullet">
/// <item>Order within a stream (a report): a stream with a row in flight (published, not yet confirmed)
/// is held back until that row is confirmed; rows of other streams go on.</item>
/// <item>A row is marked sent once the broker has confirmed it, in a statement of its own (its own transaction),
/// so that the mark is durable at once; a row in flight or confirmed and not yet marked is not read
/// again.</item>
/// <item>PostgreSQL: a session (a transaction holding the dispatcher's advisory lock) lasts as long as
/// anything is in flight or unmarked, so another host never reads a row this one has not finished.
/// It ends when nothing is left. After <see cref="SessionLimit"/> it commits and takes the lock again at
/// once, so that no transaction stays open through a long load; a host that takes the lock in that
/// instant publishes this one's unfinished rows again, under the same message ids, which the consumers
/// ignore as after a crash (this host then starts no session until its own rows are finished). The
/// transaction writes nothing, but PostgreSQL keeps its last statement's snapshot horizon: under load
/// that is a few milliseconds old (a cycle's statements renew it), and an idle session ends.</item>
/// <item>A publish that fails releases its row and the rest of its stream's (they are read again) and
/// makes the next cycle throw, so the dispatcher backs off as before.</item>
/// </list>
/// Only the dispatcher's loop calls <see cref="CycleAsync"/>; the publishing tasks share the state
/// under <see cref="gate"/>.
/// </summary>
internal sealed class BrokerPipeline(IServiceScopeFactory scopes, IBus bus, OutboxSignal signal, TimeProvider time, int batchSize, long lockKey)
{
    /// <summary>How long one session's transaction lasts at most while rows keep coming.</summary>
    internal static readonly TimeSpan SessionLimit = TimeSpan.FromSeconds(30);

    /// <summary>The next unsent rows not in flight, oldest first (compiled: read about 80 times a second under load).</summary>
    private static readonly Func<ReformDbContext, long[], int, IAsyncEnumerable<OutboxMessage>> NextRows =
        EF.CompileAsyncQuery((ReformDbContext db, long[] skip, int take) => db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null && !skip.Contains(m.Sequence))
            .OrderBy(m => m.Sequence)
            .Take(take));

    private readonly Lock gate = new();

    // Rows published or being published and not yet marked sent: sequence -> stream.
    private readonly Dictionary<long, string> unmarked = [];

    // Streams with a row being published and not yet confirmed.
    private readonly HashSet<string> busyStreams = new(StringComparer.Ordinal);

    // Confirmed rows waiting to be marked sent.
    private readonly List<long> confirmed = [];
    private readonly List<Task> publishing = [];
    private Exception? failure;
    private Session? session;

    /// <summary>Rows published or being published and not yet marked sent.</summary>
    public int Unfinished
    {
        get
        {
            lock (gate)
            {
                return unmarked.Count;
            }
        }
    }

    /// <summary>
    /// Marks what was confirmed, then reads the rows not in flight and starts publishing those of
    /// streams not busy; returns how many rows it started (a full batch: call again at once; fewer, or
    /// rows held back: the next commit or confirm wakes the loop).
    /// </summary>
    public async Task<int> CycleAsync(CancellationToken cancellationToken)
    {
        var failed = TakeFailure();
        if (failed is not null)
        {
            // The broker is gone, and the dispatcher backs off. The session is kept while rows of other
            // streams are still in flight (another host would only publish them again), else ended, so
            // that no transaction waits open through the back-off.
            if (Unfinished == 0)
            {
                await AbandonSessionAsync();
            }

            throw new InvalidOperationException($"Publishing an outbox row failed: {failed.Message}", failed);
        }

        try
        {
            await MarkConfirmedAsync(cancellationToken);
            if (session is null)
            {
                // Rows of a session that ended by a fault are finished first: this host never has the
                // rows of two sessions in flight.
                if (Unfinished > 0)
                {
                    return 0;
                }

                session = await Session.OpenAsync(scopes, lockKey, cancellationToken);
                if (session is null)
                {
                    return 0;
                }
            }

            if (Stopwatch.GetElapsedTime(session.Opened) >= SessionLimit)
            {
                // Committed and taken again at once, rows in flight or not (waiting for them stalled every
                // event of that moment by a round of confirms).
                await session.EndAsync(cancellationToken);
                session = null;
                session = await Session.OpenAsync(scopes, lockKey, cancellationToken);
                if (session is null)
                {
                    return 0;
                }
            }

            long[] skip;
            lock (gate)
            {
                skip = [.. unmarked.Keys];
            }

            // At most about two batches unfinished: a backlog (after a broker outage, or a year's opening)
            // goes out a batch at a time as before, not all at once.
            if (skip.Length >= batchSize)
            {
                return 0;
            }

            var batch = new List<OutboxMessage>(batchSize);
            await foreach (var row in NextRows(session.Db, skip, batchSize).WithCancellation(cancellationToken))
            {
                batch.Add(row);
            }

            var started = Start(batch, cancellationToken);
            if (batch.Count == 0 && Unfinished == 0)
            {
                await session.EndAsync(cancellationToken);
                session = null;
            }

            return started;
        }
        catch
        {
            // The database failed the session's transaction (PostgreSQL released the lock with it).
            await AbandonSessionAsync();
            throw;
        }
    }

    /// <summary>Waits for the rows in flight, marks what was confirmed (best effort: an unmarked row is published again at the next start, and its consumers ignore it), and ends the session.</summary>
    public async Task StopAsync()
    {
        Task[] running;
        lock (gate)
        {
            running = [.. publishing];
        }

        try
        {
            await Task.WhenAll(running);
        }
        catch (Exception)
        {
            // Cancelled with the host; a row not confirmed stays unsent.
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await MarkConfirmedAsync(limit.Token);
            if (session is not null)
            {
                await session.EndAsync(limit.Token);
                session = null;
            }
        }
        catch (Exception)
        {
            // The database went away with the host: the rows are published again at the next start.
        }

        await AbandonSessionAsync();
    }

    private int Start(List<OutboxMessage> batch, CancellationToken cancellationToken)
    {
        var started = 0;
        lock (gate)
        {
            publishing.RemoveAll(t => t.IsCompleted);
            foreach (var stream in batch.GroupBy(row => row.StreamId ?? row.MessageId.ToString("N")))
            {
                // Held back: the stream's earlier row is not confirmed yet. Its rows are read again.
                if (!busyStreams.Add(stream.Key))
                {
                    continue;
                }

                var rows = stream.ToList();
                foreach (var row in rows)
                {
                    unmarked[row.Sequence] = stream.Key;
                }

                publishing.Add(PublishStreamAsync(stream.Key, rows, cancellationToken));
                started += rows.Count;
            }
        }

        return started;
    }

    /// <summary>One stream's rows, strictly one after another: each is confirmed before the next is published.</summary>
    private async Task PublishStreamAsync(string stream, List<OutboxMessage> rows, CancellationToken cancellationToken)
    {
        // Off the dispatcher's loop at once: the loop goes on reading while this waits for its confirms.
        await Task.Yield();
        var done = 0;
        try
        {
            foreach (var row in rows)
            {
                await OutboxRows.PublishAsync(bus, row, cancellationToken);
                lock (gate)
                {
                    confirmed.Add(row.Sequence);
                }

                done++;
            }
        }
        catch (Exception e)
        {
            lock (gate)
            {
                // Not confirmed: read and published again (with the same message ids) after the back-off.
                foreach (var row in rows.Skip(done))
                {
                    unmarked.Remove(row.Sequence);
                }

                failure ??= e;
            }
        }
        finally
        {
            lock (gate)
            {
                busyStreams.Remove(stream);
            }

            // The loop marks what was confirmed, releases the stream's held-back rows, and ends an idle session.
            signal.Notify();
        }
    }

    private Exception? TakeFailure()
    {
        lock (gate)
        {
            var e = failure;
            failure = null;
            return e;
        }
    }

    /// <summary>Marks the confirmed rows sent, in one statement of their own (committed before the session ends).</summary>
    private async Task MarkConfirmedAsync(CancellationToken cancellationToken)
    {
        List<long> rows;
        lock (gate)
        {
            if (confirmed.Count == 0)
            {
                return;
            }

            rows = [.. confirmed];
            confirmed.Clear();
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
            // One statement, committed on its own: durable when it returns.
            await OutboxRows.MarkSentAsync(db, rows, time.GetUtcNow().UtcDateTime, cancellationToken);
        }
        catch
        {
            lock (gate)
            {
                confirmed.AddRange(rows);
            }

            throw;
        }

        lock (gate)
        {
            foreach (var sequence in rows)
            {
                unmarked.Remove(sequence);
            }
        }
    }

    private async Task AbandonSessionAsync()
    {
        if (session is null)
        {
            return;
        }

        try
        {
            await session.DisposeAsync();
        }
        catch (Exception)
        {
            // A broken connection: PostgreSQL released the lock with it.
        }

        session = null;
    }

    /// <summary>A scope's context and, on PostgreSQL, its transaction holding the dispatcher's advisory lock.</summary>
    private sealed class Session(AsyncServiceScope scope, ReformDbContext db, IDbContextTransaction? transaction) : IAsyncDisposable
    {
        public ReformDbContext Db { get; } = db;

        public long Opened { get; } = Stopwatch.GetTimestamp();

        /// <summary>A session, or null when another host holds the lock.</summary>
        public static async Task<Session?> OpenAsync(IServiceScopeFactory scopes, long lockKey, CancellationToken cancellationToken)
        {
            var scope = scopes.CreateAsyncScope();
            try
            {
                var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
                // SQLite (one host) takes no transaction: it would hold the one write gate while publishing.
                if (!db.Database.OnPostgres())
                {
                    return new Session(scope, db, null);
                }

                var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                var locked = await db.Database
                    .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({lockKey}) AS \"Value\"")
                    .SingleAsync(cancellationToken);
                if (locked)
                {
                    return new Session(scope, db, transaction);
                }

                await transaction.DisposeAsync();
            }
            catch
            {
                await scope.DisposeAsync();
                throw;
            }

            await scope.DisposeAsync();
            return null;
        }

        public async Task EndAsync(CancellationToken cancellationToken)
        {
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            await DisposeAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (transaction is not null)
            {
                await transaction.DisposeAsync();
            }

            await scope.DisposeAsync();
        }
    }
}
