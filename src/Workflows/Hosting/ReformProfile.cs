using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AomoriReform.Workflows.Hosting;

/// <summary>
/// Which storage, bus and job store this process runs on, read once from configuration.
/// The embedded default (SQLite, in-memory bus, in-memory jobs) needs no servers; the
/// production profile is chosen by setting the connection strings. Code above the
/// composition root never asks which profile runs.
/// </summary>
public sealed record ReformProfile
{
    public const string PostgresKey = "ConnectionStrings:Postgres";
    public const string RabbitMqKey = "ConnectionStrings:RabbitMq";
    public const string DataDirectoryKey = "Storage:DataDirectory";
    public const string DemoPasswordKey = "Demo:Password";

    public string? PostgresConnectionString { get; init; }
    public Uri? RabbitMqUri { get; init; }
    public required string DataDirectory { get; init; }

    /// <summary>Demo accounts and the sample plan: embedded default and Development only, never Production.</summary>
    public bool DemoEnabled { get; init; }
    public string? DemoPassword { get; init; }

    /// <summary>Npgsql's <c>Max Auto Prepare</c> unless the connection string sets it.</summary>
    public const int DefaultMaxAutoPrepare = 64;

    public bool UsesPostgres => PostgresConnectionString is not null;
    public bool UsesRabbitMq => RabbitMqUri is not null;
    public string SqliteConnectionString => $"Data Source={Path.Combine(DataDirectory, "aomori-reform.db")}";
    public string Description =>
        $"database={(UsesPostgres ? "PostgreSQL" : "SQLite")}, bus={(UsesRabbitMq ? "RabbitMQ" : "in-memory")}, jobs={(UsesPostgres ? "PostgreSQL" : "in-memory")}";

    /// <summary>
    /// Whether a connection string itself sets one of these keywords (Npgsql's builder knows every
    /// keyword and reports its default, so what was written is read from a plain builder).
    /// </summary>
    internal static bool Writes(string connectionString, params string[] keywords)
    {
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        return keywords.Any(written.ContainsKey);
    }

    /// <summary>Reads and checks the settings; a missing or malformed one throws naming the key.</summary>
    public static ReformProfile From(IConfiguration configuration, IHostEnvironment environment)
    {
        var postgres = Blank(configuration[PostgresKey]);
        if (postgres is not null)
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(postgres);
                if (string.IsNullOrWhiteSpace(builder.Host))
                {
                    throw new ReformConfigurationException(PostgresKey, "names no Host");
                }

                // Statements the host runs again and again (an approval's reads and writes) are prepared
                // on the server after a few uses, so PostgreSQL stops parsing and planning them each
                // time. A connection string that sets its own value (0 behind a pooler in transaction
                // mode) keeps it.
                if (!Writes(postgres, "Max Auto Prepare", "MaxAutoPrepare"))
                {
                    builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
                    postgres = builder.ConnectionString;
                }
            }
            catch (ArgumentException e)
            {
                throw new ReformConfigurationException(PostgresKey, $"is not a valid Npgsql connection string ({e.Message})");
            }
        }

        Uri? rabbit = null;
        var rabbitText = Blank(configuration[RabbitMqKey]);
        if (rabbitText is not null)
        {
            if (!Uri.TryCreate(rabbitText, UriKind.Absolute, out rabbit) || rabbit.Scheme is not ("amqp" or "amqps"))
            {
                throw new ReformConfigurationException(RabbitMqKey, "must be an amqp:// or amqps:// URI such as amqp://user:pass@host:5672/vhost");
            }
        }

        var dataDirectory = Blank(configuration[DataDirectoryKey]) ?? Path.Combine(environment.ContentRootPath, "data");
        dataDirectory = Path.GetFullPath(dataDirectory, environment.ContentRootPath);

        var demoEnabled = environment.IsDevelopment() || (postgres is null && !environment.IsProduction());
        var demoPassword = Blank(configuration[DemoPasswordKey]);
        if (demoEnabled && demoPassword is null)
        {
            throw new ReformConfigurationException(DemoPasswordKey, "is required for the demo accounts in the embedded default and Development (environment Demo__Password)");
        }

        return new ReformProfile
        {
            PostgresConnectionString = postgres,
            RabbitMqUri = rabbit,
            DataDirectory = dataDirectory,
            DemoEnabled = demoEnabled,
            DemoPassword = demoEnabled ? demoPassword : null,
        };
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>A setting that stops start-up; the message names the key and says what is wrong in one line.</summary>
public sealed class ReformConfigurationException(string key, string problem)
    : Exception($"Configuration error: {key} {problem}.")
{
    public string Key { get; } = key;
}

public static class ProfileExtensions
{
    /// <summary>Reads the profile once and registers it; every other capability reads it from here.</summary>
    public static ReformProfile AddReformProfile(this IHostApplicationBuilder builder)
    {
        var profile = ReformProfile.From(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(profile);
        builder.Services.AddSingleton(TimeProvider.System);
        return profile;
    }

    public static ReformProfile GetReformProfile(this IHostApplicationBuilder builder) =>
        builder.Services.Where(d => d.ServiceType == typeof(ReformProfile)).Select(d => d.ImplementationInstance).OfType<ReformProfile>().SingleOrDefault()
        ?? builder.AddReformProfile();
}
