using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Plan;

public static class PlanExtensions
{
    /// <summary>The reform plan (viewpoints, areas, items, measures and their indicators), its import and export.</summary>
    public static IHostApplicationBuilder AddPlan(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<PlanImport>();
        builder.Services.AddScoped<PlanView>();
        return builder;
    }
}
