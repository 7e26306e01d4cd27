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
/// goes dark (and empty) when the connection fails, and comes back empty once it listens again.
/// Its own connection, unpooled, so the LISTEN never outlives it.
/// </summary>
public sealed partial class CallerChangeFeed(ReformProfile profile, CallerCache cache, DatabaseState database, ILogger<CallerChangeFeed> logger) : BackgroundService
{
    /// <summary>The notification channel the trigger uses.</summary>
    public const string Channel = "callers_changed";

    // With no notification for this long, the feed checks that its connection still answers.
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);

    // How often the feed looks again while the database is not migrated yet (the trigger comes with it).
    private static readonly TimeSpan ReadinessProbe = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(profile.PostgresConnectionString) { Pooling = false, MaxAutoPrepare = 0 }.ConnectionString;
        var failures = 0;
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
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Min(failures, 7)))), stoppingToken);
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
        connection.Notification += (_, _) => cache.Invalidate();
        await connection.OpenAsync(stoppingToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
        {
            await listen.ExecuteNonQueryAsync(stoppingToken);
        }

        // Changes made before the LISTEN went unheard: live from here, and empty.
        cache.SetLive(true);
        try
        {
            while (true)
            {
                if (!await connection.WaitAsync(Heartbeat, stoppingToken))
                {
                    await using var ping = new NpgsqlCommand("SELECT 1", connection);
                    await ping.ExecuteScalarAsync(stoppingToken);
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
