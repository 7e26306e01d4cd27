using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Engine;

public static class EngineExtensions
{
    /// <summary>The approval engine: routes, check-ins, reports and their actions, deputies.</summary>
    public static IHostApplicationBuilder AddEngine(this IHostApplicationBuilder builder)
    {
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
