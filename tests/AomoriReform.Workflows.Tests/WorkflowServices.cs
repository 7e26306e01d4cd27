using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Definitions;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Committee;
using AomoriReform.Workflows.Demo;
using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.OpenData;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Plan;
using AomoriReform.Workflows.Records;
using AomoriReform.Workflows.Reminders;
using AomoriReform.Workflows.Reports;
using AomoriReform.Workflows.Rollups;
using AomoriReform.Workflows.Workspaces;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests;

/// <summary>
/// The Workflows capabilities composed as the Host composes them, on a fresh test database,
/// without starting any hosted service. Time is a <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class WorkflowServices : IAsyncDisposable
{
    private readonly IHost host;

    private WorkflowServices(TestDatabase database, IHost host, FakeTimeProvider time)
    {
        Database = database;
        this.host = host;
        Time = time;
    }

    public TestDatabase Database { get; }
    public FakeTimeProvider Time { get; }

    public static async Task<WorkflowServices> CreateAsync(
        Profile profile, DateTimeOffset? start = null, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? configure = null)
    {
        var database = await TestDatabase.CreateAsync(profile);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = Environments.Production, DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(database.Settings(withRabbitMq: false));
        // Production refuses to start without a journal key (base64 of 32 bytes).
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Journal:Key"] = "dGVzdC1qb3VybmFsLWtleS0zMi1ieXRlcy1sb25nISE=" });
        builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
        builder.AddReformProfile();
        builder.AddClosedDays();
        builder.AddPersistence();
        builder.AddOutbox();
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
        builder.Services.AddIdentityCore<ReformUser>();
        var time = new FakeTimeProvider(start ?? new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero));
        builder.Services.AddSingleton<TimeProvider>(time);
        configure?.Invoke(builder.Services);
        return new WorkflowServices(database, builder.Build(), time);
    }

    /// <summary>Runs <paramref name="work"/> with a service from a fresh scope, as one request would.</summary>
    public async Task<TResult> In<TService, TResult>(Func<TService, Task<TResult>> work)
        where TService : notnull
    {
        await using var scope = host.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public Task<T> Db<T>(Func<ReformDbContext, Task<T>> query) => In(query);

    /// <summary>The sample organisation (with the given extra CSV rows) and the sample plan.</summary>
    public async Task ImportSamplesAsync(string extraOrganisationRows = "")
    {
        await In<OrganisationImport, Outcome<OrganisationImportResult>>(import => import.ImportAsync(
            [.. SampleFiles.Organisation(), .. System.Text.Encoding.UTF8.GetBytes(extraOrganisationRows)], "system", dryRun: false, CancellationToken.None));
        await In<AomoriReform.Workflows.Plan.PlanImport, Outcome<AomoriReform.Workflows.Plan.PlanImportResult>>(import => import.ImportAsync(
            SampleFiles.Plan(), AomoriReform.Workflows.Plan.PlanFileFormat.Yaml, "system", dryRun: false, CancellationToken.None));
    }

    /// <summary>
    /// The sample organisation (with the given extra CSV rows) and plan, the FY2025 check-in opened, and the
    /// first report of 行政経営管理課 (gyosei-keiei) on the standard route, by measure code.
    /// </summary>
    public async Task<Guid> OpenSampleReportAsync(string extraOrganisationRows)
    {
        await ImportSamplesAsync(extraOrganisationRows);
        await In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
        return await Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
    }

    /// <summary>The caller of the user with this e-mail address, resolved as a request would.</summary>
    public async Task<Caller> CallerAsync(string email)
    {
        var id = await Db(db => db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync());
        return (await In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    public async ValueTask DisposeAsync()
    {
        host.Dispose();
        await Database.DisposeAsync();
    }
}
