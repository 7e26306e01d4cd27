using System.Text.Json;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Hosting;
using Hangfire;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace AomoriReform.Host.Operations;

public static partial class OperationsEndpoints
{
    /// <summary>
    /// <c>/health/live</c>: the process answers. <c>/health/ready</c>: database, bus and job
    /// storage are reachable (503 naming what is not).
    /// </summary>
    public static WebApplication MapOperations(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteReadinessAsync,
        }).AllowAnonymous();

        // The job dashboard (Hangfire): HQ administrators only, never anonymous or local-only.
        app.MapHangfireDashboardWithAuthorizationPolicy(Policies.HqAdmin, "/hangfire", new DashboardOptions { DashboardTitle = "AomoriReform jobs", DisplayStorageConnectionString = false });

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AomoriReform");
        var profile = app.Services.GetRequiredService<ReformProfile>();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            var data = profile.UsesPostgres ? "PostgreSQL" : profile.DataDirectory;
            var listening = string.Join(", ", addresses);
            LogServing(logger, listening, profile.Description, data);
        });
        return app;
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "AomoriReform is serving on {Addresses} ({Profile}; data: {Data})")]
    private static partial void LogServing(ILogger logger, string addresses, string profile, string data);
}
