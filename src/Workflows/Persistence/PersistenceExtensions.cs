using AomoriReform.Workflows.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Persistence;

public static class PersistenceExtensions
{
    /// <summary>
    /// Registers <see cref="ReformDbContext"/> on PostgreSQL or on the embedded SQLite file, with the
    /// interceptors that other features register (the outbox's), and the initializer that migrates
    /// it before anything else starts.
    /// </summary>
    public static IHostApplicationBuilder AddPersistence(this IHostApplicationBuilder builder)
    {
        var profile = builder.GetReformProfile();
        // Pooled: a unit of work takes a context from the pool and gives it back reset, instead of
        // building one and its options each time (an approval uses three: the request's, the
        // dispatcher's and the projection consumer's). The context holds no state of its own beyond
        // EF Core's, and the interceptors are singletons.
        if (profile.UsesPostgres)
        {
            builder.Services.AddDbContextPool<ReformDbContext, PostgresReformDbContext>((services, options) =>
                ConfigurePostgres(options, profile.PostgresConnectionString!).AddInterceptors(services.GetServices<IInterceptor>()));
        }
        else
        {
            builder.Services.AddDbContextPool<ReformDbContext, SqliteReformDbContext>((services, options) =>
                ConfigureSqlite(options, profile.SqliteConnectionString).AddInterceptors(services.GetServices<IInterceptor>()));
        }

        builder.Services.AddSingleton<DatabaseState>();
        builder.Services.AddHostedService<DatabaseInitializer>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<StorageSpaceHealthCheck>("storage", tags: ["ready"]);
        return builder;
    }

    private static readonly SqliteWriteGate WriteGate = new();

    public static DbContextOptionsBuilder ConfigurePostgres(DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseNpgsql(WithoutResetOnClose(connectionString), npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

    /// <summary>
    /// The DbContext's connections skip Npgsql's reset when they go back to the pool, unless the
    /// connection string says otherwise. The reset is three statements (SET SESSION AUTHORIZATION
    /// DEFAULT, RESET ALL, pg_advisory_unlock_all) sent with the next use of the connection, and a
    /// unit of work opens it about four times: a dozen statements per approval, about a tenth of
    /// PostgreSQL's CPU for it. Nothing on these connections changes session state: no SET, and the
    /// only advisory lock (the dispatcher's) is transaction-scoped. A different connection string
    /// also means a pool of its own, so connections that do hold session state (the start-up lock,
    /// Hangfire's) never come here.
    /// </summary>
    internal static string WithoutResetOnClose(string connectionString) =>
        ReformProfile.Writes(connectionString, "No Reset On Close", "NoResetOnClose")
            ? connectionString
            : new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = true }.ConnectionString;

    public static DbContextOptionsBuilder ConfigureSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options
            .UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention()
            .AddInterceptors(new SqliteBusyTimeout(), WriteGate, new SqliteWriteGateRelease(WriteGate));

    public static DbContextOptionsBuilder<T> ConfigurePostgres<T>(DbContextOptionsBuilder<T> options, string connectionString)
        where T : DbContext
    {
        ConfigurePostgres((DbContextOptionsBuilder)options, connectionString);
        return options;
    }

    public static DbContextOptionsBuilder<T> ConfigureSqlite<T>(DbContextOptionsBuilder<T> options, string connectionString)
        where T : DbContext
    {
        ConfigureSqlite((DbContextOptionsBuilder)options, connectionString);
        return options;
    }
}
