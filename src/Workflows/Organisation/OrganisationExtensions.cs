using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Plan;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Organisation;

public static class OrganisationExtensions
{
    /// <summary>The organisation, the reform plan, their imports and the demo data.</summary>
    public static IHostApplicationBuilder AddOrganisationAndPlan(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<OrganisationImport>();
        builder.Services.AddScoped<PlanImport>();
        builder.Services.AddScoped<PlanView>();
        builder.Services.AddSingleton<IStartupTask, DemoAccounts>();
        builder.Services.AddSingleton<IStartupTask, FirstAdminHint>();
        return builder;
    }
}
