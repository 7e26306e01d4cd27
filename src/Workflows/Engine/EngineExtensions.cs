using AomoriReform.Workflows.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Engine;

public static class EngineExtensions
{
    /// <summary>The approval engine's routes: the published definitions, loaded from the shipped files at start.</summary>
    public static IHostApplicationBuilder AddEngine(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RouteCatalog>();
        builder.Services.AddSingleton<IStartupTask, RouteDefinitionLoader>();
        return builder;
    }
}
