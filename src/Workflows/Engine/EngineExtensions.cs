using AomoriReform.Workflows.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Engine;

public static class EngineExtensions
{
    /// <summary>The approval engine's routes and the approval rules that choose them: the published definitions, loaded from the shipped files at start.</summary>
    public static IHostApplicationBuilder AddEngine(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RouteCatalog>();
        builder.Services.AddSingleton<IStartupTask, RouteDefinitionLoader>();
        builder.Services.AddSingleton<IStartupTask, ApprovalRulesLoader>();
        return builder;
    }
}
