using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Committee;

public static class CommitteeExtensions
{
    /// <summary>The reform promotion committee (推進委員会): its opinions and HQ's responses.</summary>
    public static IHostApplicationBuilder AddCommittee(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CommitteeOpinions>();
        return builder;
    }
}
