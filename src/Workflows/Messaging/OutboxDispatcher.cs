using System.Text.Json;
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

    /// <summary>Sent rows older than this are deleted by the retention job.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
}

/// <summary>
/// Publishes committed outbox rows through MassTransit in batches, in commit order within each
/// stream (a report), streams concurrently, and marks them sent. A crash after publishing but before marking re-publishes the batch on
/// restart with the same message ids, which idempotent consumers ignore. On PostgreSQL one
/// host at a time dispatches (a transaction-scoped advisory lock), which keeps the order.
/// </summary>
public sealed partial class OutboxDispatcher(
    IServiceScopeFactory scopes,
    IBus bus,
    Hosting.ReformProfile profile,
    OutboxSignal signal,
    DatabaseState database,
    TimeProvider time,
    IOptions<OutboxOptions> options,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    // An arbitrary constant that names the outbox dispatcher's advisory lock.
    private const long DispatcherLockKey = 0x416f6d6f72690001;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (options.Value.DispatcherEnabled && !stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (database.IsReady)
                {
                    while (await DispatchBatchAsync(stoppingToken) == options.Value.BatchSize)
                    {
                    }
                }

                failures = 0;
                await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
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
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 7)))), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Publishes up to one batch; returns how many rows it sent.</summary>
    public async Task<int> DispatchBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        // PostgreSQL: the whole batch runs in a transaction that holds the dispatcher's advisory
        // lock, so hosts take turns. SQLite (one host) takes no transaction while it publishes:
        // a transaction there holds the one write gate, and every action would wait on the bus.
        await using var transaction = db.Database.IsNpgsql() ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
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

        var batch = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null)
            .OrderBy(m => m.Sequence)
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);
        if (batch.Count == 0)
        {
            return 0;
        }

        // Streams (one report each) publish concurrently to hide the broker's round trips; within
        // a stream, strictly in commit order. The in-memory bus has no round trip to hide.
        var streams = batch.GroupBy(row => row.StreamId ?? row.MessageId.ToString("N"));
        var parallelism = profile.UsesRabbitMq ? 32 : 1;
        await Parallel.ForEachAsync(streams, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (stream, token) =>
        {
            foreach (var row in stream)
            {
                var type = ContractTypes.Resolve(row.MessageType);
                var message = JsonSerializer.Deserialize(row.Payload, type, Outbox.Json)!;
                await bus.Publish(message, type, context => context.MessageId = row.MessageId, token);
            }
        });

        var sequences = batch.Select(m => m.Sequence).ToList();
        var now = time.GetUtcNow().UtcDateTime;
        await using var marking = transaction ?? await db.Database.BeginTransactionAsync(cancellationToken);
        await db.OutboxMessages
            .Where(m => sequences.Contains(m.Sequence))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.SentAt, now), cancellationToken);
        await marking.CommitAsync(cancellationToken);
        return batch.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Outbox dispatch failed, will retry: {Reason}")]
    private static partial void LogDispatchFailed(ILogger logger, string reason);
}
