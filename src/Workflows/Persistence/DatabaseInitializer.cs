using AomoriReform.Workflows.Hosting;
using Hangfire.PostgreSql;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace AomoriReform.Workflows.Persistence;

/// <summary>Whether the schema is migrated and the start-up data is in place.</summary>
public sealed class DatabaseState
{
    private volatile bool ready;
    private volatile string? lastError;

    public bool IsReady => ready;
    public string? LastError => lastError;

    internal void MarkReady()
    {
        lastError = null;
        ready = true;
    }

    internal void MarkFailed(string error) => lastError = error;
}

/// <summary>
/// Work that runs once the schema is current, before the host serves: seeding the demo
/// organisation and plan, loading workflow definitions.
/// </summary>
public interface IStartupTask
{
    int Order { get; }
    Task RunAsync(IServiceProvider services, CancellationToken cancellationToken);
}

/// <summary>
/// Applies the migrations (EF Core takes a database lock, so several hosts may start at
/// once), installs the Hangfire schema on PostgreSQL, then runs the start-up tasks. An
/// unreachable database does not crash the host: readiness stays 503, the log says why,
/// and the initializer retries until it succeeds.
/// </summary>
public sealed partial class DatabaseInitializer(
    IServiceProvider services, ReformProfile profile, DatabaseState state, ILogger<DatabaseInitializer> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(5);
    private CancellationTokenSource? stopping;
    private Task? retryLoop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (await TryInitializeAsync(cancellationToken))
        {
            return;
        }

        stopping = new CancellationTokenSource();
        var token = stopping.Token;
        retryLoop = Task.Run(() => RetryAsync(token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref stopping, null) is { } source)
        {
            await source.CancelAsync();
            await Task.WhenAny(retryLoop!, Task.Delay(Timeout.Infinite, cancellationToken));
            source.Dispose();
        }
    }

    public void Dispose() => Interlocked.Exchange(ref stopping, null)?.Dispose();

    /// <summary>Migrates and seeds now; used by the Host's commands, which run without the web server.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (!profile.UsesPostgres)
        {
            Directory.CreateDirectory(profile.DataDirectory);
        }

        // Hosts starting together take turns, so start-up tasks (seeding, publishing routes)
        // never race each other; the lock goes with the connection, which is not pooled: closed, it
        // ends its session and so the lock (a pooled one would keep it until it was next used).
        await using var startupLock = profile.UsesPostgres
            ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(profile.PostgresConnectionString) { Pooling = false }.ConnectionString)
            : null;
        if (startupLock is not null)
        {
            await startupLock.OpenAsync(cancellationToken);
            await using var take = new NpgsqlCommand($"SELECT pg_advisory_lock({StartupLockKey})", startupLock);
            await take.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
            await db.Database.MigrateAsync(cancellationToken);
            if (profile.UsesPostgres)
            {
                await using var connection = new NpgsqlConnection(profile.PostgresConnectionString);
                await connection.OpenAsync(cancellationToken);
                PostgreSqlObjectsInstaller.Install(connection, JobsSchema);
            }
            else
            {
                // WAL lets readers run beside the one writer; synchronous stays FULL (durability first).
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
        }

        foreach (var task in services.GetServices<IStartupTask>().OrderBy(t => t.Order))
        {
            await using var scope = services.CreateAsyncScope();
            await task.RunAsync(scope.ServiceProvider, cancellationToken);
        }

        state.MarkReady();
    }

    public const string JobsSchema = "hangfire";

    // An arbitrary constant naming the start-up advisory lock.
    private const long StartupLockKey = 0x416f6d6f72690002;

    private async Task<bool> TryInitializeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await InitializeAsync(cancellationToken);
            LogReady(logger, profile.Description);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var reason = Describe(e);
            state.MarkFailed(reason);
            LogNotReady(logger, profile.UsesPostgres ? "PostgreSQL (ConnectionStrings:Postgres)" : "the SQLite file", reason, RetryInterval.TotalSeconds);
            return false;
        }
    }

    private async Task RetryAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(RetryInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (await TryInitializeAsync(cancellationToken))
            {
                return;
            }
        }
    }

    private static string Describe(Exception e)
    {
        var inner = e;
        while (inner.InnerException is not null && inner is not NpgsqlException)
        {
            inner = inner.InnerException;
        }

        return inner.Message.ReplaceLineEndings(" ");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database ready ({Profile})")]
    private static partial void LogReady(ILogger logger, string profile);

    [LoggerMessage(Level = LogLevel.Error, Message = "Database not ready: {Database} failed: {Reason}. Retrying every {Seconds} s; /health/ready answers 503 until then")]
    private static partial void LogNotReady(ILogger logger, string database, string reason, double seconds);
}

public sealed class DatabaseHealthCheck(DatabaseState state, IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!state.IsReady)
        {
            return HealthCheckResult.Unhealthy(state.LastError ?? "database is being initialised");
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("database unreachable");
    }
}

/// <summary>
/// Free space where the host writes its files (the embedded database, attachments): Degraded, with
/// the figures, below <c>Storage:MinFreeMegabytes</c> (default 256), so a monitor warns before the
/// disk is full. Degraded keeps /health/ready at 200 (reads still work); a full disk makes each
/// write answer 503 and nothing is half-written.
/// </summary>
public sealed class StorageSpaceHealthCheck(ReformProfile profile, IConfiguration configuration) : IHealthCheck
{
    public const long DefaultMinFreeMegabytes = 256;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(profile.DataDirectory))
        {
            return Task.FromResult(HealthCheckResult.Healthy("no data directory yet"));
        }

        var minimum = configuration.GetValue("Storage:MinFreeMegabytes", DefaultMinFreeMegabytes);
        var free = new DriveInfo(profile.DataDirectory).AvailableFreeSpace >> 20;
        return Task.FromResult(free < minimum
            ? HealthCheckResult.Degraded($"{free} MB free for the data directory, below Storage:MinFreeMegabytes ({minimum} MB)")
            : HealthCheckResult.Healthy($"{free} MB free for the data directory"));
    }
}
