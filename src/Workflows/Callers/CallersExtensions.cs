using AomoriReform.Workflows.Hosting;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Callers;

public static class CallersExtensions
{
    /// <summary>
    /// Who is acting: the signed-in person as the database knows them now, with the principals they
    /// deputise for today. On PostgreSQL the callers are cached between changes (the database
    /// notifies every change to users and appointments); on SQLite every request reads them.
    /// </summary>
    public static IHostApplicationBuilder AddCallers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CallerResolver>();
        builder.Services.AddSingleton<CallerCache>();
        if (builder.GetReformProfile().UsesPostgres)
        {
            builder.Services.AddSingleton<CallerChangeInterceptor>();
            builder.Services.AddSingleton<IInterceptor>(services => services.GetRequiredService<CallerChangeInterceptor>());
            builder.Services.AddHostedService<CallerChangeFeed>();
        }

        return builder;
    }
}
