using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AomoriReform.Workflows.Hosting;

/// <summary>
/// The product's own traces and meters (name <c>AomoriReform</c>), exported with the platform's when
/// OpenTelemetry is configured (<c>Telemetry:OtlpEndpoint</c>), and readable in-process by any
/// <see cref="MeterListener"/> otherwise. Instruments that need the database (the outbox backlog,
/// open and overdue tasks) are observed from a sample the host takes every few seconds.
/// </summary>
public static class ReformTelemetry
{
    public const string Name = "AomoriReform";

    public static readonly ActivitySource Activities = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary>Journaled actions on reports that committed, tagged <c>action</c> (submit, approve, accept, ...).</summary>
    public static readonly Counter<long> Actions = Meter.CreateCounter<long>("aomori.actions", "{action}", "Journaled actions on reports that committed, by action");

    /// <summary>Actions on reports waiting for a turn in this host (admission control, <c>Reports:MaxConcurrentActions</c>).</summary>
    public static readonly UpDownCounter<long> ActionsWaiting = Meter.CreateUpDownCounter<long>("aomori.actions.waiting", "{action}", "Actions on reports waiting for a turn in this host");

    /// <summary>From an action's commit to its effect on the rollup projection, per event.</summary>
    public static readonly Histogram<double> ProjectionLag = Meter.CreateHistogram<double>("aomori.projection.lag", "ms", "From an action's commit to its effect on the rollup projection");

    /// <summary>Events committed to the outbox and not yet handed to the transport, and the age of the oldest, in seconds.</summary>
    public static readonly ObservableGauge<long> OutboxBacklog = Meter.CreateObservableGauge("aomori.outbox.backlog", () => Sample?.OutboxBacklog ?? 0L, "{message}", "Events in the outbox not yet handed to the transport");

    public static readonly ObservableGauge<double> OutboxOldestAge = Meter.CreateObservableGauge("aomori.outbox.oldest_age", () => Sample?.OutboxOldestAgeSeconds ?? 0d, "s", "Age of the oldest event not yet handed to the transport");

    /// <summary>Open tasks (decisions and 後閲) and those past their due date.</summary>
    public static readonly ObservableGauge<long> OpenTasks = Meter.CreateObservableGauge("aomori.tasks.open", () => Sample?.OpenTasks ?? 0L, "{task}", "Open tasks in every inbox");

    public static readonly ObservableGauge<long> OverdueTasks = Meter.CreateObservableGauge("aomori.tasks.overdue", () => Sample?.OverdueTasks ?? 0L, "{task}", "Open tasks past their due date");

    /// <summary>The host's latest sample of the database-backed figures; null until the first.</summary>
    public static OperationalSample? Sample
    {
        get => Volatile.Read(ref sample);
        set => Volatile.Write(ref sample, value);
    }

    private static OperationalSample? sample;

    /// <summary>The last projection lag observed by this host, in milliseconds (for the readiness details).</summary>
    public static double LastProjectionLagMs => Volatile.Read(ref lastProjectionLagMs);

    private static double lastProjectionLagMs;

    public static void RecordAction(string action) => Actions.Add(1, new KeyValuePair<string, object?>("action", action));

    public static void RecordProjectionLag(TimeSpan lag)
    {
        var ms = Math.Max(0, lag.TotalMilliseconds);
        ProjectionLag.Record(ms);
        Volatile.Write(ref lastProjectionLagMs, ms);
    }
}

/// <summary>What the host last read from the database for the gauges and the readiness details.</summary>
public sealed record OperationalSample(DateTime At, long OutboxBacklog, double OutboxOldestAgeSeconds, long OpenTasks, long OverdueTasks);
