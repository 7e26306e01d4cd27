using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Definitions;

public static class DefinitionsExtensions
{
    /// <summary>Publishing and retiring approval routes and approval rules (決裁区分) by an administrator, journaled in the audit trail.</summary>
    public static IHostApplicationBuilder AddDefinitions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<RoutePublishing>();
        builder.Services.AddScoped<RuleSetPublishing>();
        return builder;
    }
}
