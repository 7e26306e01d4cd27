using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Organisation;

/// <summary>Tells the operator, in one line, how to create the first HqAdmin when there is none.</summary>
public sealed partial class FirstAdminHint(ILogger<FirstAdminHint> logger) : IStartupTask
{
    public int Order => 200;

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<ReformDbContext>();
        // Outside demo mode, demo accounts left in the database cannot sign in, so they do not count.
        var demo = services.GetRequiredService<Hosting.ReformProfile>().DemoEnabled;
        if (!await db.Users.AnyAsync(u => u.Role == Role.HqAdmin && u.IsActive && (demo || !u.IsDemo), cancellationToken))
        {
            LogNoAdmin(logger);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No HqAdmin exists, so nobody can sign in to import the organisation and plan. Create the first one: dotnet AomoriReform.Host.dll create-admin --email <email> --name <name> --password <password> (same settings as the server)")]
    private static partial void LogNoAdmin(ILogger logger);
}
