using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Rollups;

public static class RollupsExtensions
{
    /// <summary>HQ's rollups: the projection the bus keeps current (its consumer is found by the bus), queries, exports, rebuild.</summary>
    public static IHostApplicationBuilder AddRollups(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<RollupQueries>();
        builder.Services.AddScoped<RollupExport>();
        // The projection consumer's batches of all event types share one transaction per round.
        builder.Services.AddSingleton<ProjectionCombiner>();
        return builder;
    }
}
