using System.Text.Json;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Hosting;
using Hangfire;
using Microsoft.AspNetCore.Authorization;
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

    /// <summary>
    /// Anonymous callers (load balancers, monitors) get the status of each check only; why a
    /// check fails (connection strings, addresses, exception text) goes to the log, and to a
    /// signed-in HqAdmin.
    /// </summary>
    private static async Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("AomoriReform.Health");
        foreach (var (name, entry) in report.Entries.Where(e => e.Value.Status != HealthStatus.Healthy))
        {
            LogCheckFailed(logger, name, entry.Status, (entry.Description ?? entry.Exception?.Message ?? "-").ReplaceLineEndings(" "));
        }

        var details = context.User.Identity?.IsAuthenticated == true
            && (await context.RequestServices.GetRequiredService<IAuthorizationService>().AuthorizeAsync(context.User, Policies.HqAdmin)).Succeeded;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                e => e.Key,
                e => details
                    ? (object)new { status = e.Value.Status.ToString(), description = e.Value.Description ?? e.Value.Exception?.Message }
                    : new { status = e.Value.Status.ToString() }),
        }));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Readiness check {Check} is {Status}: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string check, HealthStatus status, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "AomoriReform is serving on {Addresses} ({Profile}; data: {Data})")]
    private static partial void LogServing(ILogger logger, string addresses, string profile, string data);
}
