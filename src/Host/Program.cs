using AomoriReform.Host.Api;
using AomoriReform.Host.CheckIns;
using AomoriReform.Host.Committee;
using AomoriReform.Host.Deputies;
using AomoriReform.Host.Engine;
using AomoriReform.Host.Identity;
using AomoriReform.Host.Operations;
using AomoriReform.Host.Organisation;
using AomoriReform.Host.Notifications;
using AomoriReform.Host.OpenData;
using AomoriReform.Host.Plan;
using AomoriReform.Host.Records;
using AomoriReform.Host.Reports;
using AomoriReform.Host.Rollups;
using AomoriReform.Host.Web;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Definitions;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Committee;
using AomoriReform.Workflows.Demo;
using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Jobs;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.OpenData;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Plan;
using AomoriReform.Workflows.Records;
using AomoriReform.Workflows.Reminders;
using AomoriReform.Workflows.Reports;
using AomoriReform.Workflows.Rollups;
using AomoriReform.Workflows.Workspaces;

WebApplication app;
try
{
    // Settings are read once, at start (a changed appsettings file takes a restart). Reloading them on
    // change makes ASP.NET Core watch the whole content root, subfolders included, and the embedded
    // database lives in its data/ folder: every page SQLite wrote woke the host to read an inotify event.
    var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
    builder.AddReformProfile();
    builder.AddClosedDays();
    builder.AddPersistence();
    builder.AddMessaging();
    builder.AddJobs();
    builder.AddOrganisation();
    builder.AddPlan();
    builder.AddCallers();
    builder.AddEngine();
    builder.AddDefinitions();
    builder.AddReports();
    builder.AddDecisionRecords();
    builder.AddRecords();
    builder.AddDeputies();
    builder.AddCheckIns();
    builder.AddRollups();
    builder.AddReminders();
    builder.AddWorkspaces();
    builder.AddCommittee();
    builder.AddOpenData();
    builder.AddDemo();
    builder.AddSignIn();
    builder.AddSingleSignOn();
    builder.AddApi();
    builder.AddOpenDataLimits();
    builder.AddWebUi();
    builder.AddTelemetry();
    app = builder.Build();
    // Options checked at start (ValidateOnStart) are checked here, before anything runs or logs.
    app.Services.GetService<Microsoft.Extensions.Options.IStartupValidator>()?.Validate();
}
catch (ReformConfigurationException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
catch (Microsoft.Extensions.Options.OptionsValidationException e)
{
    await Console.Error.WriteLineAsync($"Configuration error: {string.Join("; ", e.Failures)}");
    return 2;
}
catch (InvalidOperationException e) when (ConfigurationBinding.KeyOf(e) is { } key)
{
    // The configuration binder could not read a bound setting (a word where a number belongs).
    await Console.Error.WriteLineAsync($"Configuration error: {key} is not a valid value: {e.Message}");
    return 2;
}

if (HostCommands.IsCommand(args))
{
    return await HostCommands.RunAsync(app, args);
}

app.UseApi();
app.MapOperations();
app.MapSignIn();
app.MapSingleSignOn();
app.MapOrganisation();
app.MapPlan();
app.MapCheckIns();
app.MapReports();
app.MapRecords();
app.MapRetention();
app.MapDeputies();
app.MapWorkflows();
app.MapRollups();
app.MapNotifications();
app.MapCommittee();
app.MapOpenData();
app.MapWebUi();
await app.RunAsync();
return 0;

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;

/// <summary>Which setting the configuration binder failed to read, from its exception.</summary>
internal static partial class ConfigurationBinding
{
    public static string? KeyOf(InvalidOperationException e) =>
        e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal) && KeyPattern().Match(e.Message) is { Success: true } match
            ? match.Groups[1].Value
            : null;

    [System.Text.RegularExpressions.GeneratedRegex("at '([^']+)'")]
    private static partial System.Text.RegularExpressions.Regex KeyPattern();
}
