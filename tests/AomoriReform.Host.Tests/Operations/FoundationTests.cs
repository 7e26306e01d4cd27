using System.Net;
using AomoriReform.Contracts.Plan;
using AomoriReform.Workflows.Jobs;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using Hangfire;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Operations;

/// <summary>The parts are real: database, bus and job storage of each profile, through the Host's own setup.</summary>
[Collection(SharedHost.Name)]
public abstract class FoundationTests(Profile profile)
{
    [Fact]
    public async Task The_host_boots_and_answers_live_and_ready()
    {
        await using var database = await TestDatabase.CreateAsync(profile, migrated: false);
        await using var app = new ReformApp(database, "Production");
        var client = app.CreateClient();

        var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        // Live answers at once; ready waits for the bus's first connection, which on a loaded machine
        // can take a moment after the host has started (an orchestrator polls readiness the same way).
        var (status, body) = await Eventually.Get(async () =>
            {
                using var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
                return (ready.StatusCode, await ready.Content.ReadAsStringAsync());
            },
            answer => answer.StatusCode == HttpStatusCode.OK, because: "database, bus and job storage to be ready");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var running = app.Services.GetRequiredService<AomoriReform.Workflows.Hosting.ReformProfile>();
        Assert.Equal((profile == Profile.Production, profile == Profile.Production), (running.UsesPostgres, running.UsesRabbitMq));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("\"database\"", body, StringComparison.Ordinal);
        Assert.Contains("\"masstransit-bus\"", body, StringComparison.Ordinal);
        Assert.Contains("\"jobs\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_written_to_the_outbox_is_published_on_the_bus_and_consumed()
    {
        await using var database = await TestDatabase.CreateAsync(profile);
        await using var app = new ReformApp(database, "Production");
        _ = app.Server;
        var received = new TaskCompletionSource<ConsumeContext<PlanImported>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var bus = app.Services.GetRequiredService<IBus>();
        var endpoint = bus.ConnectReceiveEndpoint($"test-{Guid.NewGuid():N}", receiver =>
        {
            if (receiver is IRabbitMqReceiveEndpointConfigurator rabbit)
            {
                rabbit.AutoDelete = true;
                rabbit.Durable = false;
            }

            receiver.Handler<PlanImported>(context =>
            {
                received.TrySetResult(context);
                return Task.CompletedTask;
            });
        });
        await endpoint.Ready;

        OutboxMessage row;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var outbox = scope.ServiceProvider.GetRequiredService<Outbox>();
            row = outbox.Add(new PlanImported
            {
                PlanId = Guid.NewGuid(),
                FromFiscalYear = 2024,
                ToFiscalYear = 2028,
                AddedMeasureCodes = ["2.1.1-01"],
                ChangedMeasureCodes = [],
                Actor = "test",
                At = DateTime.UtcNow,
            });
            await scope.ServiceProvider.GetRequiredService<ReformDbContext>().SaveChangesAsync();
        }

        var consumed = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(row.MessageId, consumed.MessageId);
        Assert.Equal(["2.1.1-01"], consumed.Message.AddedMeasureCodes);
        await Eventually.Get(
            () => app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.MessageId == row.MessageId)),
            m => m.SentAt is not null,
            because: "the dispatcher to mark the row sent");
        await endpoint.StopAsync();
    }

    [Fact]
    public async Task An_enqueued_job_runs_on_the_job_storage()
    {
        await using var database = await TestDatabase.CreateAsync(profile);
        await using var app = new ReformApp(database, "Production");
        _ = app.Server;
        await app.WithDbAsync(async db =>
        {
            db.OutboxMessages.AddRange(
                new OutboxMessage { MessageId = Guid.NewGuid(), MessageType = "old", Payload = "{}", CreatedAt = DateTime.UtcNow.AddDays(-30), SentAt = DateTime.UtcNow.AddDays(-30) },
                new OutboxMessage { MessageId = Guid.NewGuid(), MessageType = "recent", Payload = "{}", CreatedAt = DateTime.UtcNow.AddHours(-1), SentAt = DateTime.UtcNow.AddHours(-1) });
            return await db.SaveChangesAsync();
        });

        var jobId = app.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<OutboxRetentionJob>(job => job.RunAsync(CancellationToken.None));

        var state = await Eventually.Get(
            () => Task.FromResult(app.Services.GetRequiredService<JobStorage>().GetMonitoringApi().JobDetails(jobId)?.History.FirstOrDefault()?.StateName),
            s => s is "Succeeded" or "Failed",
            because: "the job to run");
        Assert.Equal("Succeeded", state);
        var left = await app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().Select(m => m.MessageType).ToListAsync());
        Assert.Equal(["recent"], left);
    }

    [Fact]
    public async Task Data_survives_a_restart_of_the_host()
    {
        await using var database = await TestDatabase.CreateAsync(profile, migrated: false);
        await using (var first = new ReformApp(database, "Development"))
        {
            _ = first.Server;
            Assert.True(await first.WithDbAsync(db => db.Measures.AnyAsync()));
            await first.WithDbAsync(async db =>
            {
                var measure = await db.Measures.OrderBy(m => m.Code).FirstAsync();
                measure.Title = "再起動後も残る題名";
                return await db.SaveChangesAsync();
            });
        }

        await using var second = new ReformApp(database, "Development");
        _ = second.Server;
        var title = await second.WithDbAsync(db => db.Measures.AsNoTracking().OrderBy(m => m.Code).Select(m => m.Title).FirstAsync());
        Assert.Equal("再起動後も残る題名", title);
    }
}

public sealed class FoundationTests_Embedded() : FoundationTests(Profile.Embedded);

public sealed class FoundationTests_Production() : FoundationTests(Profile.Production);

/// <summary>Start-up with bad or unreachable settings.</summary>
[Collection(SharedHost.Name)]
public sealed class StartupTests
{
    [Theory]
    [InlineData("ConnectionStrings__RabbitMq", "http://not-amqp", "ConnectionStrings:RabbitMq")]
    [InlineData("ConnectionStrings__Postgres", "Host=127.0.0.1;Bogus Key=1", "ConnectionStrings:Postgres")]
    [InlineData("CheckIns__OpenOn", "13-01", "CheckIns:OpenOn")]
    [InlineData("DataProtection__CertificatePath", "/nonexistent/keys.pfx", "DataProtection:CertificatePath")]
    [InlineData("Journal__Key", "", "Journal:Key")]
    [InlineData("Journal__Key", "c2hvcnQ=", "Journal:Key")]
    [InlineData("Deputies__MaxDays", "0", "Deputies:MaxDays")]
    [InlineData("Outbox__BatchSize", "0", "Outbox:BatchSize")]
    [InlineData("Identity__LockoutFailures", "five", "Identity:LockoutFailures")]
    [InlineData("Identity__AccessTokenMinutes", "0", "Identity:AccessTokenMinutes")]
    [InlineData("Outbox__PollInterval", "-00:00:01", "Outbox:PollInterval")]
    [InlineData("Records__MaxFileBytes", "lots", "Records:MaxFileBytes")]
    [InlineData("Records__MaxFileBytes", "10", "Records:MaxFileBytes")]
    [InlineData("OpenData__PermitsPerMinute", "many", "OpenData:PermitsPerMinute")]
    [InlineData("OpenData__LocalGovernmentCode", "02000", "OpenData:LocalGovernmentCode")]
    [InlineData("RateLimits__WritesPerMinute", "0", "RateLimits:WritesPerMinute")]
    [InlineData("Logging__Format", "xml", "Logging:Format")]
    [InlineData("Telemetry__OtlpEndpoint", "collector:4317", "Telemetry:OtlpEndpoint")]
    [InlineData("Telemetry__OtlpProtocol", "udp", "Telemetry:OtlpProtocol")]
    [InlineData("Messaging__QuorumQueues", "yes", "Messaging:QuorumQueues")]
    [InlineData("Outbox__RetentionSchedule", "daily", "Outbox:RetentionSchedule")]
    [InlineData("Reminders__SweepSchedule", "*/15 * * *", "Reminders:SweepSchedule")]
    public async Task A_wrong_setting_stops_start_up_with_one_line_naming_it(string variable, string value, string key)
    {
        var (exitCode, output, error) = await RunHostAsync(new() { [variable] = value, ["ASPNETCORE_ENVIRONMENT"] = "Production" });

        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Configuration error: {key}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_demo_password_in_development_is_named()
    {
        var (exitCode, _, error) = await RunHostAsync(new() { ["ASPNETCORE_ENVIRONMENT"] = "Development", ["Demo__Password"] = "" });

        Assert.Equal(2, exitCode);
        Assert.StartsWith("Configuration error: Demo:Password", error.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_fails_readiness_without_crashing()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Embedded, migrated: false);
        await using var app = new ReformApp(database, "Production", new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Port=1;Database=nothing;Username=x;Password=y;Timeout=2",
        });
        var client = app.CreateClient();

        var ready = await client.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var live = await client.GetAsync(new Uri("/health/live", UriKind.Relative));

        var body = await ready.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("\"database\":{\"status\":\"Unhealthy\"}", body, StringComparison.Ordinal);
        // The reason (an address, an exception's text) is for the log, not for anonymous callers.
        Assert.DoesNotContain("127.0.0.1", body, StringComparison.Ordinal);
        Assert.DoesNotContain("description", body, StringComparison.Ordinal);
        Assert.Contains(app.Logs, line => line.Contains("Readiness check database is Unhealthy", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private static Task<(int ExitCode, string Output, string Error)> RunHostAsync(Dictionary<string, string> environment)
    {
        environment["Storage__DataDirectory"] = Directory.CreateTempSubdirectory("aomori-start-").FullName;
        return HostProcess.RunAsync(environment, "--urls", "http://127.0.0.1:0");
    }
}
