using AomoriReform.Workflows.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Demo;

public static class DemoExtensions
{
    /// <summary>In demo mode (the embedded default, Development): the sample organisation and plan, demo accounts, an open check-in.</summary>
    public static IHostApplicationBuilder AddDemo(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IStartupTask, DemoAccounts>();
        builder.Services.AddSingleton<IStartupTask, DemoCheckIn>();
        return builder;
    }
}
