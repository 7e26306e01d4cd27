using AomoriReform.Workflows.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Organisation;

public static class OrganisationExtensions
{
    /// <summary>The organisation (departments, sections, people and their roles) and its import.</summary>
    public static IHostApplicationBuilder AddOrganisation(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<OrganisationImport>();
        builder.Services.AddSingleton<IStartupTask, FirstAdminHint>();
        return builder;
    }
}
