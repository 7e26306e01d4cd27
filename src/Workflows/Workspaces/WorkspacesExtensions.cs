using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Workspaces;

public static class WorkspacesExtensions
{
    /// <summary>A signed-in person's workspace: where they sit, whose work they also do, what waits for them (the header).</summary>
    public static IHostApplicationBuilder AddWorkspaces(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<Workspace>();
        return builder;
    }
}
