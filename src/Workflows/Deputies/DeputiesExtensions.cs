using AomoriReform.Workflows.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Deputies;

public static class DeputiesExtensions
{
    /// <summary>Deputy appointments (代理) and their limits (<c>Deputies:*</c>), checked at start.</summary>
    public static IHostApplicationBuilder AddDeputies(this IHostApplicationBuilder builder)
    {
        var deputies = new DeputyOptions();
        builder.Configuration.GetSection("Deputies").Bind(deputies);
        if (deputies.MaxDays < 1 || deputies.MaxDays > 3660)
        {
            throw new ReformConfigurationException("Deputies:MaxDays", "must be a whole number of days from 1 to 3660");
        }

        if (deputies.MaxDaysAhead < 0 || deputies.MaxDaysAhead > 3660)
        {
            throw new ReformConfigurationException("Deputies:MaxDaysAhead", "must be a whole number of days from 0 to 3660");
        }

        builder.Services.AddOptions<DeputyOptions>().BindConfiguration("Deputies");
        builder.Services.AddScoped<DeputyAppointments>();
        return builder;
    }
}
