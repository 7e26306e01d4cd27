using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Engine;

public static class EngineExtensions
{
    /// <summary>The approval engine: routes, check-ins, reports and their actions, deputies.</summary>
    public static IHostApplicationBuilder AddEngine(this IHostApplicationBuilder builder)
    {
        // The journal's signing keys come from the settings (or the embedded default's key file);
        // read here, before anything starts, so a missing or malformed key stops start-up with one line.
        var keys = JournalKeys.From(builder.Configuration, builder.GetReformProfile(), builder.Environment);
        builder.Services.AddSingleton(keys);
        builder.Services.AddScoped<JournalCheckpointJob>();
        builder.Services.AddSingleton<IStartupTask, JournalUpgrade>();
        var deputies = new DeputyOptions();
        builder.Configuration.GetSection("Deputies").Bind(deputies);
        if (deputies.MaxDays < 1 || deputies.MaxDays > 3660)
        {
            throw new ReformConfigurationException("Deputies:MaxDays", "must be a whole number of days from 1 to 3660");
        }

        if (deputies.MaxDaysAhead < 0 || deputies.MaxDaysAhead > 3660)
        {
            throw new ReformConfigurationException("Deputies:MaxDaysAhead", "must be a whole number of days from 0 to 3660");
        }

        builder.Services.AddOptions<DeputyOptions>().BindConfiguration("Deputies");
        builder.Services.AddSingleton<RouteCatalog>();
        builder.Services.AddSingleton<IStartupTask, RouteDefinitionLoader>();
        builder.Services.AddScoped<CallerResolver>();
        builder.Services.AddScoped<ReportWorkflow>();
        builder.Services.AddScoped<ReportQueries>();
        builder.Services.AddScoped<Workspace>();
        builder.Services.AddScoped<ReportDetails>();
        builder.Services.AddScoped<CheckInOpener>();
        builder.Services.AddScoped<Rollups.RollupQueries>();
        builder.Services.AddScoped<Reminders.NotificationInbox>();
        builder.Services.AddScoped<Rollups.RollupExport>();
        return builder;
    }
}
