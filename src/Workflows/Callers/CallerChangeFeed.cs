using System.Diagnostics;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AomoriReform.Workflows.Callers;

/// <summary>
/// PostgreSQL only: listens on <see cref="Channel"/>, which a trigger on the users and the deputy
/// appointments notifies on every change (migration <c>CallerChangeNotifications</c>), and empties
/// <see cref="CallerCache"/> on each notification. The cache is live only while this listens: it
/// goes dark (and empty) when the connection fails or a probe it sends itself does not come back,
/// and comes back empty once it listens again.
/// Its own connection, unpooled, so the LISTEN never outlives it.
/// </summary>
public sealed partial class CallerChangeFeed(ReformProfile profile, CallerCache cache, DatabaseState database, ILogger<CallerChangeFeed> logger) : BackgroundService
{
    /// <summary>The notification channel the trigger uses.</summary>
    public const string Channel = "callers_changed";

    // With no notification for this long, the feed checks that notifications still reach it.
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);

    // How long a probe may take to come back before the feed gives the connection up.
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    // How often the feed looks again while the database is not migrated yet (the trigger comes with it).
    private static readonly TimeSpan ReadinessProbe = TimeSpan.FromMilliseconds(50);

    // Failures since the feed last listened; they pace its retries (Backoff).
    private int failures;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(profile.PostgresConnectionString) { Pooling = false, MaxAutoPrepare = 0 }.ConnectionString;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!database.IsReady)
                {
                    await Task.Delay(ReadinessProbe, stoppingToken);
                    continue;
                }

                await ListenAsync(connectionString, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                cache.SetLive(false);
                failures++;
                LogFeedFailed(logger, e.Message.ReplaceLineEndings(" "));
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

    private async Task ListenAsync(string connectionString, CancellationToken stoppingToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        // A probe's payload names this connection; the trigger's is empty. Other hosts' probes change nothing.
        var probe = $"probe:{Guid.NewGuid():N}";
        var probed = false;
        connection.Notification += (_, notification) =>
        {
            if (notification.Payload.StartsWith("probe:", StringComparison.Ordinal))
            {
                probed |= notification.Payload == probe;
                return;
            }

            cache.Invalidate();
        };
        await connection.OpenAsync(stoppingToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // Proves that notifications reach this connection (behind a pooler in transaction mode they
        // may not), now and at every heartbeat; a connection that stops hearing them goes dark.
        async Task ProbeAsync()
        {
            probed = false;
            await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', @probe)", connection))
            {
                notify.Parameters.AddWithValue("probe", probe);
                await notify.ExecuteNonQueryAsync(stoppingToken);
            }

            var deadline = Stopwatch.GetTimestamp();
            while (!probed)
            {
                var left = ProbeTimeout - Stopwatch.GetElapsedTime(deadline);
                if (left <= TimeSpan.Zero || !await connection.WaitAsync(left, stoppingToken) && !probed)
                {
                    throw new TimeoutException($"a notification sent on the feed's own connection did not come back within {ProbeTimeout.TotalSeconds:F0} s (a pooler in transaction mode?)");
                }
            }
        }

        await ProbeAsync();
        // Changes made before the LISTEN went unheard: live from here, and empty.
        cache.SetLive(true);
        // The next outage's backoff starts afresh.
        failures = 0;
        try
        {
            while (true)
            {
                if (!await connection.WaitAsync(Heartbeat, stoppingToken))
                {
                    await ProbeAsync();
                }
            }
        }
        finally
        {
            cache.SetLive(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The caller change feed lost its connection; callers are read from the database on every request until it listens again: {Reason}")]
    private static partial void LogFeedFailed(ILogger logger, string reason);
}
