using System.Diagnostics;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Messaging;

public sealed class OutboxOptions
{
    /// <summary>How often the dispatcher looks for rows when no commit woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int BatchSize { get; set; } = 200;

    /// <summary>False keeps this host from publishing (rows wait for a host that does); for operations and tests.</summary>
    public bool DispatcherEnabled { get; set; } = true;

    /// <summary>Sent rows, and the consumers' records of processed messages, older than this are deleted by the retention job.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// When the retention job runs unless <c>Outbox:RetentionSchedule</c> says otherwise: a cron
    /// expression in Japan time. The setting is read where the recurring jobs are registered,
    /// before options exist.
    /// </summary>
    public const string DefaultRetentionSchedule = "0 3 * * *";

    /// <summary>
    /// In-memory bus only: a row published this long ago whose consumers have not all recorded it
    /// (a delivery that faulted after its retries) is published again; consumers ignore repeats.
    /// </summary>
    public TimeSpan RedeliverAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a bulk writer (the reminder sweep) waits at most, after a batch, for the dispatcher to
    /// catch up before it writes the next; if nothing at all was sent meanwhile, it stops pacing for the
    /// rest of its run. Zero: no pacing. See <see cref="OutboxPace"/>.
    /// </summary>
    public TimeSpan PaceLimit { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Publishes committed outbox rows through MassTransit in commit order within each stream (a
/// report), and marks a row sent only once its event cannot be lost any more:
/// <list type="bullet">
/// <item>RabbitMQ: once the broker confirmed the publish (publisher confirms; the queues are durable).
/// The next rows are read and published while earlier ones wait for their confirms (<see cref="BrokerPipeline"/>).</item>
/// <item>In-memory bus: once every consumer of the event has recorded its message id in
/// <c>processed_messages</c>, which it does in the transaction of its effect. A message in the
/// in-memory transport dies with the process, so until then the row stays pending and the next
/// start publishes it again.</item>
/// </list>
/// Nothing is published before the bus and all its receive endpoints are started (with a queue
/// bound to each subscribed exchange): a message published to an exchange with no bound queue is gone.
/// A crash between publishing and marking re-publishes with the same message ids, which the
/// idempotent consumers ignore. On PostgreSQL one host at a time dispatches (a
/// transaction-scoped advisory lock), which keeps the order.
/// </summary>
public sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes,
    IBusControl bus,
    Hosting.ReformProfile profile,
    OutboxSignal signal,
    DatabaseState database,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    /// <summary>An arbitrary constant that names the outbox dispatcher's advisory lock (PostgreSQL).</summary>
    public const long DispatcherLockKey = 0x416f6d6f72690001;

    // How often a dispatcher waiting for the database or the bus to become ready looks again.
    private static readonly TimeSpan ReadinessProbe = TimeSpan.FromMilliseconds(50);

    // Woken by a commit, the dispatcher waits this long before it reads, so that the commits of the
    // next few milliseconds join the same batch: at a moderate rate (100 actions/s) it otherwise runs a
    // whole cycle (transaction, lock, read, publish, confirm, mark) for almost every action. It waits
    // the window less the time its last cycle took: under load a cycle takes 50-150 ms, the commits
    // meanwhile have piled up already, and a full wait on top only delayed every event. Pacing
    // on the monotonic clock, like the readiness probe: a host on a frozen test clock still delivers.
    private static readonly TimeSpan CoalesceWindow = TimeSpan.FromMilliseconds(10);

    private readonly OutboxConsumers consumers = OutboxConsumers.OfThisAssembly();

    // In-memory bus: rows this process published that still wait for their consumers, by sequence,
    // with when they were published; and the highest sequence this process has published. Ages are
    // measured on the monotonic clock, like the poll wait: they pace the dispatcher, they are no
    // instant of the domain, and a host on a frozen test clock must still deliver.
    private readonly Dictionary<long, long> inFlight = [];
    private readonly SemaphoreSlim dispatching = new(1, 1);
    private long publishedUpTo;
    private long lastSweep;
    private bool waitingLogged;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pipeline = profile.UsesRabbitMq
            ? new BrokerPipeline(scopes, bus, signal, time, options.Value.BatchSize, DispatcherLockKey)
            : null;
        try
        {
            await DispatchUntilStoppedAsync(pipeline, stoppingToken);
        }
        finally
        {
            if (pipeline is not null)
            {
                await pipeline.StopAsync();
            }
        }
    }

    private async Task DispatchUntilStoppedAsync(BrokerPipeline? pipeline, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (options.Value.DispatcherEnabled && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!database.IsReady || !BusReady())
                {
                    await Task.Delay(ReadinessProbe, stoppingToken);
                    continue;
                }

                var cycle = Stopwatch.GetTimestamp();
                while (await (pipeline is null ? DispatchBatchAsync(stoppingToken) : pipeline.CycleAsync(stoppingToken)) == options.Value.BatchSize)
                {
                }

                failures = 0;
                // The window less what the cycle took (see CoalesceWindow).
                var rest = CoalesceWindow - Stopwatch.GetElapsedTime(cycle);
                if (await signal.WaitAsync(options.Value.PollInterval, stoppingToken) && rest > TimeSpan.Zero)
                {
                    await Task.Delay(rest, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                LogDispatchFailed(logger, e.Message.ReplaceLineEndings(" "));
                try
                {
                    await Task.Delay(Backoff.After(failures), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override void Dispose()
    {
        dispatching.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// True once the bus and every receive endpoint are started: on RabbitMQ each endpoint's queue
    /// is then declared and bound, so a publish reaches it.
    /// </summary>
    private bool BusReady()
    {
        var ready = bus.CheckHealth().Status == BusHealthStatus.Healthy;
        if (!ready && !waitingLogged)
        {
            waitingLogged = true;
            LogWaitingForBus(logger);
        }

        return ready;
    }

    /// <summary>In-memory bus: publishes up to one batch of new rows; returns how many rows it published.</summary>
    private async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await dispatching.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
            // PostgreSQL: the whole batch runs in a transaction that holds the dispatcher's advisory
            // lock, so hosts take turns. SQLite (one host) takes no transaction while it publishes:
            // a transaction there holds the one write gate, and every action would wait on the bus.
            await using var transaction = db.Database.OnPostgres() ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
            if (transaction is not null)
            {
                var locked = await db.Database
                    .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({DispatcherLockKey}) AS \"Value\"")
                    .SingleAsync(cancellationToken);
                if (!locked)
                {
                    return 0;
                }
            }

            var published = await DispatchConfirmedByConsumersAsync(db, cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }

            return published;
        }
        finally
        {
            dispatching.Release();
        }
    }

    /// <summary>
    /// In-memory bus: publishes the rows committed since this process last looked, marks sent those
    /// no consumer takes, and, at most once per poll interval, marks sent the rows whose every
    /// consumer has recorded them, publishing again the ones that waited longer than
    /// <see cref="OutboxOptions.RedeliverAfter"/> (or that this process never published: a row that
    /// committed after a newer one, which PostgreSQL allows).
    /// </summary>
    private async Task<int> DispatchConfirmedByConsumersAsync(ReformDbContext db, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        var batch = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null && m.Sequence > publishedUpTo)
            .OrderBy(m => m.Sequence)
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);

        if (batch.Count < options.Value.BatchSize && publishedUpTo > 0 && (lastSweep == 0 || Stopwatch.GetElapsedTime(lastSweep, now) >= options.Value.PollInterval))
        {
            lastSweep = now;
            await SweepAsync(db, now, cancellationToken);
        }

        if (batch.Count == 0)
        {
            return 0;
        }

        await PublishAsync(batch, cancellationToken);
        publishedUpTo = batch[^1].Sequence;
        var unconsumed = new List<long>();
        foreach (var row in batch)
        {
            if (consumers.Of(row.MessageType).Count == 0)
            {
                unconsumed.Add(row.Sequence);
            }
            else
            {
                inFlight[row.Sequence] = now;
            }
        }

        // Nothing can lose an event that nobody consumes.
        await MarkSentAsync(db, unconsumed, cancellationToken);
        return batch.Count;
    }

    /// <summary>Marks the delivered rows up to what this process published, and publishes again the overdue ones.</summary>
    private async Task SweepAsync(ReformDbContext db, long now, CancellationToken cancellationToken)
    {
        var pending = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null && m.Sequence <= publishedUpTo)
            .OrderBy(m => m.Sequence)
            .Select(m => new { m.Sequence, m.MessageId, m.MessageType })
            .Take(options.Value.BatchSize * 10)
            .ToListAsync(cancellationToken);
        if (pending.Count < options.Value.BatchSize * 10)
        {
            // Whatever is not pending any more is done.
            var stillPending = pending.Select(m => m.Sequence).ToHashSet();
            foreach (var sequence in inFlight.Keys.Where(s => !stillPending.Contains(s)).ToList())
            {
                inFlight.Remove(sequence);
            }
        }

        if (pending.Count == 0)
        {
            return;
        }

        var ids = pending.Select(m => m.MessageId).ToList();
        var processed = (await db.ProcessedMessages.AsNoTracking()
                .Where(p => ids.Contains(p.MessageId))
                .Select(p => new { p.Consumer, p.MessageId })
                .ToListAsync(cancellationToken))
            .ToLookup(p => p.MessageId, p => p.Consumer);
        var delivered = new List<long>();
        var again = new List<long>();
        foreach (var row in pending)
        {
            var recorded = processed[row.MessageId];
            if (consumers.Of(row.MessageType).All(recorded.Contains))
            {
                delivered.Add(row.Sequence);
                inFlight.Remove(row.Sequence);
            }
            else if (!inFlight.TryGetValue(row.Sequence, out var publishedAt) || Stopwatch.GetElapsedTime(publishedAt, now) >= options.Value.RedeliverAfter)
            {
                again.Add(row.Sequence);
            }
        }

        await MarkSentAsync(db, delivered, cancellationToken);
        if (again.Count > 0)
        {
            var rows = await db.OutboxMessages.AsNoTracking().Where(m => again.Contains(m.Sequence)).OrderBy(m => m.Sequence).ToListAsync(cancellationToken);
            LogRedelivering(logger, rows.Count);
            await PublishAsync(rows, cancellationToken);
            foreach (var row in rows)
            {
                inFlight[row.Sequence] = now;
            }
        }
    }

    /// <summary>The in-memory bus has no round trip to hide: one row after another, in commit order.</summary>
    private async Task PublishAsync(IReadOnlyList<OutboxMessage> rows, CancellationToken cancellationToken)
    {
        foreach (var row in rows)
        {
            await OutboxRows.PublishAsync(bus, row, cancellationToken);
        }
    }

    /// <summary>Marks rows sent: in the dispatcher's transaction on PostgreSQL, else in one of its own (which takes SQLite's write gate).</summary>
    private async Task MarkSentAsync(ReformDbContext db, List<long> sequences, CancellationToken cancellationToken)
    {
        if (sequences.Count == 0)
        {
            return;
        }

        await using var marking = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        await OutboxRows.MarkSentAsync(db, sequences, time.GetUtcNow().UtcDateTime, cancellationToken);
        if (marking is not null)
        {
            await marking.CommitAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox dispatch failed, will retry: {Reason}")]
    private static partial void LogDispatchFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Outbox dispatcher waits for the bus and its receive endpoints to start before publishing")]
    private static partial void LogWaitingForBus(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox: publishing {Count} event(s) again whose consumers have not recorded them")]
    private static partial void LogRedelivering(ILogger logger, int count);
}
