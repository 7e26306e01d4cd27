using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using System.Linq.Expressions;
using Hangfire;
using Hangfire.InMemory;
using Hangfire.PostgreSql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Jobs;

public static class JobsExtensions
{
    /// <summary>
    /// Hangfire on PostgreSQL storage in production (distributed locks, so several hosts can
    /// run the same recurring jobs safely) or in-memory storage in the embedded default.
    /// </summary>
    public static IHostApplicationBuilder AddJobs(this IHostApplicationBuilder builder)
    {
        var profile = builder.GetReformProfile();
        builder.Services.AddHangfire(hangfire =>
        {
            hangfire
                .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings();
            if (profile.UsesPostgres)
            {
                // The schema is installed by the DatabaseInitializer, so an unreachable
                // database at start-up cannot crash the host here.
                hangfire.UsePostgreSqlStorage(
                    postgres => postgres.UseNpgsqlConnection(profile.PostgresConnectionString),
                    new PostgreSqlStorageOptions
                    {
                        SchemaName = DatabaseInitializer.JobsSchema,
                        PrepareSchemaIfNecessary = false,
                        QueuePollInterval = TimeSpan.FromSeconds(1),
                    });
            }
            else
            {
                hangfire.UseInMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Long });
            }
        });
        builder.Services.AddHangfireServer(server =>
        {
            server.WorkerCount = Math.Max(2, Environment.ProcessorCount);
            server.SchedulePollingInterval = TimeSpan.FromSeconds(5);
        });
        builder.Services.AddHealthChecks().AddCheck<JobStorageHealthCheck>("jobs", tags: ["ready"]);
        builder.Services.AddSingleton<IStartupTask, RecurringJobsRegistration>();
        builder.Services.AddRecurringJob<OutboxRetentionJob>(OutboxRetentionJob.Id, job => job.RunAsync(CancellationToken.None),
            builder.Schedule("Outbox:RetentionSchedule", OutboxOptions.DefaultRetentionSchedule));
        return builder;
    }

    /// <summary>
    /// A recurring job's schedule from a setting, or the default: a cron expression of five fields
    /// (six with seconds first) in Japan time; anything else stops the start with the setting named.
    /// </summary>
    public static string Schedule(this IHostApplicationBuilder builder, string key, string defaultCron)
    {
        var cron = builder.Configuration[key] is { Length: > 0 } configured ? configured.Trim() : defaultCron;
        if (cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is not (5 or 6))
        {
            throw new ReformConfigurationException(key, $"must be a cron expression of five fields in Japan time, such as {defaultCron}");
        }

        return cron;
    }

    /// <summary>
    /// A feature's recurring job: the job class is registered as a scoped service and scheduled
    /// (in Japan time) once the job storage is ready. Hangfire's distributed lock runs each
    /// occurrence on one host; the jobs themselves are safe to run twice.
    /// </summary>
    public static IServiceCollection AddRecurringJob<TJob>(this IServiceCollection services, string id, Expression<Func<TJob, Task>> run, string cron)
        where TJob : class
    {
        services.AddScoped<TJob>();
        services.AddSingleton(new RecurringJobSchedule(id, (jobs, options) => jobs.AddOrUpdate(id, run, cron, options)));
        return services;
    }
}

/// <summary>One recurring job to schedule; see <see cref="JobsExtensions.AddRecurringJob{TJob}"/>.</summary>
public sealed record RecurringJobSchedule(string Id, Action<IRecurringJobManager, RecurringJobOptions> Schedule);

/// <summary>Ready when the job storage answers a query.</summary>
public sealed class JobStorageHealthCheck(JobStorage storage, DatabaseState database) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!database.IsReady)
        {
            return HealthCheckResult.Unhealthy("job storage waits for the database");
        }

        try
        {
            var servers = await Task.Run(() => storage.GetMonitoringApi().Servers().Count, cancellationToken);
            return HealthCheckResult.Healthy($"{servers} job server(s)");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("job storage unreachable", e);
        }
    }
}

/// <summary>Schedules the features' recurring jobs once the job storage's schema exists.</summary>
public sealed class RecurringJobsRegistration(IEnumerable<RecurringJobSchedule> schedules) : IStartupTask
{
    public int Order => 100;

    public Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var jobs = services.GetRequiredService<IRecurringJobManager>();
        var japan = new RecurringJobOptions { TimeZone = FiscalYear.Japan };
        foreach (var schedule in schedules)
        {
            schedule.Schedule(jobs, japan);
        }

        return Task.CompletedTask;
    }
}
