using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Plan;
using Microsoft.AspNetCore.Identity;

namespace AomoriReform.Host.Operations;

/// <summary>
/// Operator commands: <c>dotnet AomoriReform.Host.dll COMMAND ...</c> (or
/// <c>dotnet run --project src/Host -- COMMAND ...</c>). They migrate the database, do one
/// thing and exit, without starting the web server.
/// </summary>
public static class HostCommands
{
    private static readonly string[] Names = ["migrate", "create-admin", "set-password", "import-org", "import-plan", "rebuild-rollups", "run-job"];

    public static bool IsCommand(string[] args) => args.Length > 0 && Names.Contains(args[0]);

    public static async Task<int> RunAsync(WebApplication app, string[] args)
    {
        var options = ParseOptions(args.Skip(1).ToArray());
        try
        {
            await app.Services.GetServices<IHostedService>().OfType<DatabaseInitializer>().Single().InitializeAsync(CancellationToken.None);
            await using var scope = app.Services.CreateAsyncScope();
            var services = scope.ServiceProvider;
            switch (args[0])
            {
                case "migrate":
                    Console.WriteLine("Database is migrated.");
                    return 0;
                case "create-admin":
                    return await CreateAdminAsync(services, Required(options, "email"), Required(options, "name"), Required(options, "password"));
                case "set-password":
                    return await SetPasswordAsync(services, Required(options, "email"), Required(options, "password"));
                case "rebuild-rollups":
                    int? year = options.TryGetValue("fiscal-year", out var y) ? int.Parse(y, System.Globalization.CultureInfo.InvariantCulture) : null;
                    var projected = await services.GetRequiredService<AomoriReform.Workflows.Rollups.RollupQueries>().RebuildAsync(year, CancellationToken.None);
                    Console.WriteLine($"Rollups rebuilt from {projected} report(s).");
                    return 0;
                case "run-job":
                    return await RunJobAsync(services, Required(options, "job"));
                case "import-org":
                    var orgOutcome = await services.GetRequiredService<OrganisationImport>().ImportAsync(
                        await File.ReadAllBytesAsync(Required(options, "file")), "command-line", options.ContainsKey("dry-run"), CancellationToken.None);
                    if (orgOutcome.Failure is { } orgRefused)
                    {
                        return await RefusedAsync(orgRefused);
                    }

                    var org = orgOutcome.Value;
                    Console.WriteLine($"departments +{org.Departments.Added.Count} ~{org.Departments.Changed.Count}, sections +{org.Sections.Added.Count} ~{org.Sections.Changed.Count}, users +{org.Users.Added.Count} ~{org.Users.Changed.Count} ={org.Users.Unchanged.Count} deactivated {org.Users.Deactivated.Count}{(org.DryRun ? " (dry run)" : string.Empty)}");
                    return 0;
                default:
                    var path = Required(options, "file");
                    var format = path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? PlanFileFormat.Csv : PlanFileFormat.Yaml;
                    var planOutcome = await services.GetRequiredService<PlanImport>().ImportAsync(
                        await File.ReadAllBytesAsync(path), format, "command-line", options.ContainsKey("dry-run"), CancellationToken.None);
                    if (planOutcome.Failure is { } planRefused)
                    {
                        return await RefusedAsync(planRefused);
                    }

                    var plan = planOutcome.Value;
                    Console.WriteLine($"measures +{plan.Measures.Added.Count} ~{plan.Measures.Changed.Count} ={plan.Measures.Unchanged.Count}{(plan.DryRun ? " (dry run)" : string.Empty)}");
                    return 0;
            }
        }
        catch (CommandLineException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }

    /// <summary>
    /// Runs a scheduled job now, in this process, as Hangfire would: the reminder sweep or the yearly
    /// check-in. Both are safe beside the hosts' own runs (each reminder and each year's check-in is
    /// recorded once in the database), so an operator may catch up after an outage without waiting
    /// for the schedule. The mail job is not offered: only Hangfire's lock keeps it to one sender.
    /// </summary>
    private static async Task<int> RunJobAsync(IServiceProvider services, string job)
    {
        switch (job)
        {
            case AomoriReform.Workflows.Reminders.ReminderSweep.Id:
                var sent = await services.GetRequiredService<AomoriReform.Workflows.Reminders.ReminderSweep>().RunAsync(CancellationToken.None);
                Console.WriteLine($"Reminder sweep: {sent} reminder(s) and escalation(s) sent.");
                return 0;
            case AomoriReform.Workflows.CheckIns.YearlyCheckInJob.Id:
                var outcome = await services.GetRequiredService<AomoriReform.Workflows.CheckIns.YearlyCheckInJob>().RunAsync(CancellationToken.None);
                Console.WriteLine($"Yearly check-in: {outcome?.ToString() ?? "not due (or switched off by CheckIns:AutoOpen)"}.");
                return 0;
            default:
                throw new CommandLineException($"--job must be {AomoriReform.Workflows.Reminders.ReminderSweep.Id} or {AomoriReform.Workflows.CheckIns.YearlyCheckInJob.Id}.");
        }
    }

    private static async Task<int> CreateAdminAsync(IServiceProvider services, string email, string name, string password)
    {
        var users = services.GetRequiredService<UserManager<ReformUser>>();
        if (await users.FindByEmailAsync(email) is not null)
        {
            await Console.Error.WriteLineAsync($"A user {email} exists already; use set-password to change the password.");
            return 1;
        }

        var admin = new ReformUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = name, Role = Role.HqAdmin };
        var result = await users.CreateAsync(admin, password);
        return await Report(result, $"Created HqAdmin {email}. Sign in and import the organisation file (POST /api/org/import); list yourself in it.");
    }

    private static async Task<int> SetPasswordAsync(IServiceProvider services, string email, string password)
    {
        var users = services.GetRequiredService<UserManager<ReformUser>>();
        if (await users.FindByEmailAsync(email) is not { } user)
        {
            await Console.Error.WriteLineAsync($"No user {email}.");
            return 1;
        }

        var token = await users.GeneratePasswordResetTokenAsync(user);
        return await Report(await users.ResetPasswordAsync(user, token, password), $"Password set for {email}.");
    }

    private static async Task<int> Report(IdentityResult result, string success)
    {
        if (result.Succeeded)
        {
            Console.WriteLine(success);
            return 0;
        }

        await Console.Error.WriteLineAsync(string.Join(" ", result.Errors.Select(e => e.Description)));
        return 1;
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                var hasValue = i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal);
                options[args[i][2..]] = hasValue ? args[++i] : "true";
            }
        }

        return options;
    }

    /// <summary>A refused import file: its message and every bad line, then exit code 1.</summary>
    private static async Task<int> RefusedAsync(Failure refused)
    {
        await Console.Error.WriteLineAsync(refused.Detail);
        foreach (var error in FileRejectedException.Lines(refused))
        {
            await Console.Error.WriteLineAsync($"  line {error.Line}: {error.Message}");
        }

        return 1;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) && value.Length > 0
            ? value
            : throw new CommandLineException($"Missing --{name}. Commands: migrate; create-admin --email E --name N --password P; set-password --email E --password P; import-org --file F [--dry-run]; import-plan --file F [--dry-run]; rebuild-rollups [--fiscal-year Y]");

    private sealed class CommandLineException(string message) : Exception(message);
}
