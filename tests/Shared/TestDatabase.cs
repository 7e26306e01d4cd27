using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AomoriReform.Tests;

/// <summary>The two storage profiles every integration test runs on.</summary>
public enum Profile
{
    Embedded,
    Production,
}

/// <summary>
/// Where the real services are: the connection strings infra/services.sh prints, or the
/// same environment variables the Host reads.
/// </summary>
public static class TestServices
{
    public static string Postgres { get; } =
        Environment.GetEnvironmentVariable("ConnectionStrings__Postgres") is { Length: > 0 } configured
            ? configured
            : "Host=127.0.0.1;Port=5432;Database=aomori_reform;Username=aomori;Password=aomori";

    public static string RabbitMq { get; } =
        Environment.GetEnvironmentVariable("ConnectionStrings__RabbitMq") is { Length: > 0 } configured
            ? configured
            : "amqp://guest:guest@127.0.0.1:5672/";
}

/// <summary>
/// A fresh, fully migrated database for one test or test class: a PostgreSQL database
/// cloned from a template migrated once per run, or a copy of a migrated SQLite file.
/// Cloning keeps a fresh database per test cheap (about 0.1 s).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    // AOMORI_TEST_DB_TAG separates two checkouts testing against one server: each run drops
    // its own prefix's leftovers at start, so runs with the same prefix must not overlap.
    private static readonly string Prefix =
        $"aomori_t_{(Environment.GetEnvironmentVariable("AOMORI_TEST_DB_TAG") is { Length: > 0 } tag && tag.All(char.IsAsciiLetterLower) ? tag + "_" : string.Empty)}"
        + $"{typeof(TestDatabase).Assembly.GetName().Name!.Split('.')[1].ToLowerInvariant()}_";
    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static string? postgresTemplate;
    private static string? sqliteTemplate;

    private TestDatabase(Profile profile, string? postgres, string? dataDirectory)
    {
        Profile = profile;
        PostgresConnectionString = postgres;
        DataDirectory = dataDirectory;
    }

    public Profile Profile { get; }

    /// <summary>Set on the production profile.</summary>
    public string? PostgresConnectionString { get; }

    /// <summary>Set on the embedded profile: the folder holding aomori-reform.db.</summary>
    public string? DataDirectory { get; }

    public static async Task<TestDatabase> CreateAsync(Profile profile, bool migrated = true)
    {
        if (profile == Profile.Embedded)
        {
            var directory = Directory.CreateTempSubdirectory("aomori-test-").FullName;
            if (migrated)
            {
                File.Copy(await SqliteTemplateAsync(), Path.Combine(directory, "aomori-reform.db"));
            }

            return new TestDatabase(profile, null, directory);
        }

        var name = Prefix + Guid.NewGuid().ToString("N")[..12];
        // The template is made first even for an empty database: making it drops this prefix's leftovers,
        // which must never include a database this run already created (a migration test's empty one was).
        var migratedTemplate = await PostgresTemplateAsync();
        var template = migrated ? migratedTemplate : "template0";
        await using (var admin = await OpenAdminAsync())
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE {template}", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new TestDatabase(profile, new NpgsqlConnectionStringBuilder(TestServices.Postgres) { Database = name }.ConnectionString, null);
    }

    /// <summary>A context on this database, outside any host.</summary>
    public ReformDbContext CreateContext() => Profile == Profile.Production
        ? new PostgresReformDbContext(PersistenceExtensions.ConfigurePostgres(new DbContextOptionsBuilder<PostgresReformDbContext>(), PostgresConnectionString!).Options)
        : new SqliteReformDbContext(PersistenceExtensions.ConfigureSqlite(
            new DbContextOptionsBuilder<SqliteReformDbContext>(), $"Data Source={Path.Combine(DataDirectory!, "aomori-reform.db")}").Options);

    /// <summary>
    /// The settings a Host needs to run on this database. Unused connection strings are set
    /// blank on purpose: the test command exports them, and a Host must not pick them up.
    /// </summary>
    public Dictionary<string, string?> Settings(bool withRabbitMq = true) => Profile == Profile.Production
        ? new()
        {
            ["ConnectionStrings:Postgres"] = PostgresConnectionString,
            ["ConnectionStrings:RabbitMq"] = withRabbitMq ? TestServices.RabbitMq : string.Empty,
            // Tests open their own check-ins.
            ["Demo:OpenCheckIn"] = "false",
        }
        : new()
        {
            ["ConnectionStrings:Postgres"] = string.Empty,
            ["ConnectionStrings:RabbitMq"] = string.Empty,
            ["Storage:DataDirectory"] = DataDirectory,
            ["Demo:OpenCheckIn"] = "false",
        };

    public async ValueTask DisposeAsync()
    {
        if (PostgresConnectionString is not null)
        {
            NpgsqlConnection.ClearAllPools();
            var name = new NpgsqlConnectionStringBuilder(PostgresConnectionString).Database;
            await using var admin = await OpenAdminAsync();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
                    await drop.ExecuteNonQueryAsync();
                    return;
                }
                catch (PostgresException) when (attempt < 5)
                {
                    // A server process of another role (a maintenance worker) may still be in the
                    // database for a moment; cleanup must not fail a test. Leftovers are dropped at
                    // the start of the next run.
                    await Task.Delay(500);
                }
                catch (PostgresException)
                {
                    return;
                }
            }
        }
        else if (DataDirectory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A host still closing may hold the file for a moment; the temp folder is cleaned by the OS.
            }
        }
    }

    /// <summary>What the Host's start-up does too: the shipped approval routes are published, then the shipped approval rules.</summary>
    private static async Task PublishRoutesAsync(ReformDbContext db)
    {
        await new RouteDefinitionLoader(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<RouteDefinitionLoader>.Instance)
            .PublishAsync(db, RouteDefinitionLoader.ShippedFiles().Select(f => (RouteDefinition.Parse(f.FileName, f.Yaml), f.FileName)).ToList(), CancellationToken.None);
        await new ApprovalRulesLoader(TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<ApprovalRulesLoader>.Instance)
            .PublishShippedAsync(db, CancellationToken.None);
    }

    private static async Task<NpgsqlConnection> OpenAdminAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(TestServices.Postgres) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<string> PostgresTemplateAsync()
    {
        await TemplateLock.WaitAsync();
        try
        {
            if (postgresTemplate is not null)
            {
                return postgresTemplate;
            }

            var name = Prefix + "template";
            await using (var admin = await OpenAdminAsync())
            {
                // Leftovers of an earlier run of this test assembly.
                var stale = new List<string>();
                await using (var list = new NpgsqlCommand($"SELECT datname FROM pg_database WHERE datname LIKE '{Prefix}%'", admin))
                await using (var reader = await list.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        stale.Add(reader.GetString(0));
                    }
                }

                foreach (var database in stale)
                {
                    await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", admin);
                    await drop.ExecuteNonQueryAsync();
                }

                await using var create = new NpgsqlCommand($"CREATE DATABASE {name} TEMPLATE template0", admin);
                await create.ExecuteNonQueryAsync();
            }

            var connectionString = new NpgsqlConnectionStringBuilder(TestServices.Postgres) { Database = name, Pooling = false }.ConnectionString;
            await using (var db = new PostgresReformDbContext(PersistenceExtensions.ConfigurePostgres(new DbContextOptionsBuilder<PostgresReformDbContext>(), connectionString).Options))
            {
                await db.Database.MigrateAsync();
                await PublishRoutesAsync(db);
            }

            await using (var connection = new NpgsqlConnection(connectionString))
            {
                await connection.OpenAsync();
                Hangfire.PostgreSql.PostgreSqlObjectsInstaller.Install(connection, DatabaseInitializer.JobsSchema);
            }

            return postgresTemplate = name;
        }
        finally
        {
            TemplateLock.Release();
        }
    }

    private static async Task<string> SqliteTemplateAsync()
    {
        await TemplateLock.WaitAsync();
        try
        {
            if (sqliteTemplate is not null)
            {
                return sqliteTemplate;
            }

            var directory = Directory.CreateTempSubdirectory("aomori-template-").FullName;
            var file = Path.Combine(directory, "aomori-reform.db");
            await using (var db = new SqliteReformDbContext(PersistenceExtensions.ConfigureSqlite(
                new DbContextOptionsBuilder<SqliteReformDbContext>(), $"Data Source={file};Pooling=False").Options))
            {
                await db.Database.MigrateAsync();
                await PublishRoutesAsync(db);
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=DELETE;");
            }

            return sqliteTemplate = file;
        }
        finally
        {
            TemplateLock.Release();
        }
    }
}
