using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Workflows.Demo;

/// <summary>
/// In demo mode, a fresh install opens at start the check-in that the yearly job would already
/// have opened by today, so that someone trying the product finds work in their inbox at once.
/// <c>Demo:OpenCheckIn=false</c> turns it off (the tests do). Never outside demo mode.
/// </summary>
public sealed class DemoCheckIn(ReformProfile profile, IConfiguration configuration) : IStartupTask
{
    public const string SettingKey = "Demo:OpenCheckIn";

    public int Order => 150;

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!profile.DemoEnabled || !configuration.GetValue(SettingKey, true))
        {
            return;
        }

        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<YearlyCheckInJob>().RunAsync(cancellationToken);
    }
}
