using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AomoriReform.Host.Operations;

/// <summary>Settings under <c>Telemetry</c>, and the log format under <c>Logging:Format</c>.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Where to send traces and metrics (OTLP); unset, nothing is exported. <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> works too.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> (port 4317 by convention) or <c>http/protobuf</c> (4318).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>How often metrics are exported.</summary>
    public int MetricIntervalSeconds { get; set; } = 60;

    /// <summary>How often the host reads the outbox backlog and the open and overdue tasks from the database.</summary>
    public int SampleIntervalSeconds { get; set; } = 15;

    public string ServiceName { get; set; } = "aomori-reform";
}

/// <summary>
/// What the prefecture's IT section needs to see inside the host: OpenTelemetry traces (ASP.NET
/// Core, HttpClient, Npgsql, MassTransit and our own) and metrics (the same plus the .NET runtime
/// and <see cref="ReformTelemetry"/>'s meters) over OTLP when an endpoint is configured, and off
/// otherwise; logs as JSON lines when <c>Logging:Format</c> is <c>json</c>; the outbox backlog, the
/// projection lag and the open and overdue tasks in <c>/health/ready</c>'s details for HqAdmin.
/// </summary>
public static class Telemetry
{
    public static IHostApplicationBuilder AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration("Telemetry")
            .Validate(o => o.OtlpEndpoint is null || (Uri.TryCreate(o.OtlpEndpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"),
                "Telemetry:OtlpEndpoint must be an absolute http or https URL, such as http://collector:4317")
            .Validate(o => o.OtlpProtocol is "grpc" or "http/protobuf", "Telemetry:OtlpProtocol must be grpc or http/protobuf")
            .Validate(o => o.MetricIntervalSeconds is >= 1 and <= 3600, "Telemetry:MetricIntervalSeconds must be from 1 to 3600")
            .Validate(o => o.SampleIntervalSeconds is >= 1 and <= 3600, "Telemetry:SampleIntervalSeconds must be from 1 to 3600")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ServiceName), "Telemetry:ServiceName must not be empty")
            .ValidateOnStart();
        builder.Services.AddHostedService<OperationalSampler>();
        builder.Services.AddHealthChecks().AddCheck<OperationsHealthCheck>("operations", tags: ["ready"]);

        switch (builder.Configuration["Logging:Format"])
        {
            case null or "" or "simple":
                break;
            case "json":
                builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Json);
                builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
                    o.IncludeScopes = true;
                });
                break;
            default:
                throw new ReformConfigurationException("Logging:Format", $"must be simple or json, not '{builder.Configuration["Logging:Format"]}'");
        }

        var endpoint = builder.Configuration["Telemetry:OtlpEndpoint"] is { Length: > 0 } configured ? configured : builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return builder;
        }

        var options = builder.Configuration.GetSection("Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new ReformConfigurationException("Telemetry:OtlpEndpoint", $"must be an absolute http or https URL, such as http://collector:4317, not '{endpoint}'");
        }

        var protocol = options.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        // Set in code, an http/protobuf endpoint is used as is: each signal gets its own path.
        Uri Signal(string path) => protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(baseUri, baseUri.AbsolutePath.TrimEnd('/') + "/" + path) : baseUri;
        var version = typeof(Telemetry).Assembly.GetName().Version?.ToString() ?? "0";
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(options.ServiceName, serviceVersion: version, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}"))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(ReformTelemetry.Name, "MassTransit")
                .AddOtlpExporter(o => (o.Endpoint, o.Protocol) = (Signal("v1/traces"), protocol)))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(ReformTelemetry.Name, "MassTransit", "Npgsql")
                .AddOtlpExporter((o, reader) =>
                {
                    (o.Endpoint, o.Protocol) = (Signal("v1/metrics"), protocol);
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = options.MetricIntervalSeconds * 1000;
                }));
        return builder;
    }
}

/// <summary>Reads the database-backed figures every <see cref="TelemetryOptions.SampleIntervalSeconds"/> into <see cref="ReformTelemetry.Sample"/>.</summary>
public sealed partial class OperationalSampler(IServiceScopeFactory scopes, DatabaseState database, TimeProvider time, IOptions<TelemetryOptions> options, ILogger<OperationalSampler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SampleIntervalSeconds), time);
        do
        {
            if (!database.IsReady)
            {
                continue;
            }

            try
            {
                ReformTelemetry.Sample = await SampleAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database is down or busy: keep the last sample; readiness says what is wrong.
                LogSampleFailed(logger, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<OperationalSample> SampleAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        var now = time.GetUtcNow();
        var today = FiscalYear.JapanDate(now);
        var backlog = await db.OutboxMessages.AsNoTracking().CountAsync(m => m.SentAt == null, cancellationToken);
        var oldest = backlog == 0 ? null : await db.OutboxMessages.AsNoTracking().Where(m => m.SentAt == null).MinAsync(m => (DateTime?)m.CreatedAt, cancellationToken);
        var open = await db.WorkTasks.AsNoTracking().CountAsync(t => t.State == WorkTaskState.Open, cancellationToken);
        var overdue = await db.WorkTasks.AsNoTracking().CountAsync(t => t.State == WorkTaskState.Open && t.DueDate < today, cancellationToken);
        return new OperationalSample(now.UtcDateTime, backlog, oldest is { } at ? Math.Max(0, (now.UtcDateTime - at).TotalSeconds) : 0, open, overdue);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not sample the outbox and tasks: {Reason}")]
    private static partial void LogSampleFailed(ILogger logger, string reason);
}

/// <summary>
/// Reports (never fails readiness): the outbox backlog and its oldest event's age, this host's last
/// projection lag, and the open and overdue tasks, as of the last sample. HqAdmin sees it in
/// <c>/health/ready</c>'s details.
/// </summary>
public sealed class OperationsHealthCheck : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var sample = ReformTelemetry.Sample;
        var lag = ReformTelemetry.LastProjectionLagMs;
        var text = sample is null
            ? $"not sampled yet; projection lag {lag:0} ms (last event)"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"outbox backlog {sample.OutboxBacklog} (oldest {sample.OutboxOldestAgeSeconds:0} s); projection lag {lag:0} ms (last event); open tasks {sample.OpenTasks}, overdue {sample.OverdueTasks}; sampled {sample.At:yyyy-MM-ddTHH:mm:ssZ}");
        var data = new Dictionary<string, object>
        {
            ["outboxBacklog"] = sample?.OutboxBacklog ?? 0, ["outboxOldestAgeSeconds"] = sample?.OutboxOldestAgeSeconds ?? 0,
            ["projectionLagMs"] = lag, ["openTasks"] = sample?.OpenTasks ?? 0, ["overdueTasks"] = sample?.OverdueTasks ?? 0,
        };
        return Task.FromResult(HealthCheckResult.Healthy(text, data));
    }
}
