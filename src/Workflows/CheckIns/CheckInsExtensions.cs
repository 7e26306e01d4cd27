using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Jobs;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.CheckIns;

public static class CheckInsExtensions
{
    /// <summary>The yearly progress check (進捗点検): opening it by hand or by the yearly job (<c>CheckIns:*</c>).</summary>
    public static IHostApplicationBuilder AddCheckIns(this IHostApplicationBuilder builder)
    {
        // Checked here, before anything starts, so a wrong value stops start-up with one line.
        foreach (var key in new[] { "OpenOn", "DueOn" })
        {
            if (builder.Configuration[$"CheckIns:{key}"] is { Length: > 0 } value && !CheckInOptions.TryMonthDay(value, out _, out _))
            {
                throw new ReformConfigurationException($"CheckIns:{key}", "must be a month-day from 04-01 to 12-31, such as 05-31");
            }
        }

        builder.Services.AddOptions<CheckInOptions>().BindConfiguration("CheckIns");
        builder.Services.AddScoped<CheckInOpener>();
        builder.Services.AddRecurringJob<YearlyCheckInJob>(YearlyCheckInJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Daily(0, 5));
        return builder;
    }
}
