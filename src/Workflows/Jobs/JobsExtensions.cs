using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reminders;
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
        builder.Services.AddScoped<OutboxRetentionJob>();
        builder.Services.AddScoped<YearlyCheckInJob>();
        builder.Services.AddSingleton<IStartupTask, DemoCheckIn>();
        builder.Services.AddScoped<ReminderSweep>();
        builder.Services.AddScoped<MailNotificationsJob>();
        builder.Services.AddOptions<SmtpOptions>().BindConfiguration("Smtp");
        builder.Services.AddOptions<CheckInOptions>().BindConfiguration("CheckIns");
        // Checked here, before anything starts, so a wrong value stops start-up with one line.
        foreach (var key in new[] { "OpenOn", "DueOn" })
        {
            if (builder.Configuration[$"CheckIns:{key}"] is { Length: > 0 } value && !CheckInOptions.TryMonthDay(value, out _, out _))
            {
                throw new ReformConfigurationException($"CheckIns:{key}", "must be a month-day from 04-01 to 12-31, such as 05-31");
            }
        }
        builder.Services.AddSingleton<IStartupTask, RecurringJobsRegistration>();
        return builder;
    }
}

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

/// <summary>Registers the recurring jobs once the job storage's schema exists.</summary>
public sealed class RecurringJobsRegistration : IStartupTask
{
    public int Order => 100;

    public Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var jobs = services.GetRequiredService<IRecurringJobManager>();
        var japan = new RecurringJobOptions { TimeZone = FiscalYear.Japan };
        jobs.AddOrUpdate<OutboxRetentionJob>(OutboxRetentionJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Daily(3), japan);
        jobs.AddOrUpdate<YearlyCheckInJob>(YearlyCheckInJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Daily(0, 5), japan);
        jobs.AddOrUpdate<ReminderSweep>(ReminderSweep.Id, job => job.RunAsync(CancellationToken.None), "*/15 * * * *", japan);
        jobs.AddOrUpdate<Reports.JournalCheckpointJob>(Reports.JournalCheckpointJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Daily(2, 30), japan);
        jobs.AddOrUpdate<MailNotificationsJob>(MailNotificationsJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Minutely(), japan);
        return Task.CompletedTask;
    }
}
