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
        if (profile.UsesPostgres)
        {
            builder.Services.AddDbContext<ReformDbContext, PostgresReformDbContext>((services, options) =>
                ConfigurePostgres(options, profile.PostgresConnectionString!).AddInterceptors(services.GetServices<IInterceptor>()));
        }
        else
        {
            builder.Services.AddDbContext<ReformDbContext, SqliteReformDbContext>((services, options) =>
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
            .UseNpgsql(connectionString, npgsql => npgsql.MigrationsHistoryTable("__ef_migrations_history"))
            .UseSnakeCaseNamingConvention();

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
