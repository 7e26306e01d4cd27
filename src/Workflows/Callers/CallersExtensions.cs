using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Callers;

public static class CallersExtensions
{
    /// <summary>Who is acting: the signed-in person as the database knows them now, with the principals they deputise for today.</summary>
    public static IHostApplicationBuilder AddCallers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CallerResolver>();
        return builder;
    }
}
