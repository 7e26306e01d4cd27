using AomoriReform.Workflows.Hosting;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// Admission control for actions on reports (saves, decisions, each item of a bulk decision), from the
/// API and the web UI alike, when <c>Reports:MaxConcurrentActions</c> is set: at most that many run at
/// once in this host, and the others wait for a turn, in arrival order, before they read or write
/// anything. A waiting action is abandoned when its request is. Unset, every action goes straight in.
/// On a saturated machine a limit of twice the cores halves how far HQ's rollups fall behind (the outbox
/// dispatcher and the projection consumer get the CPU the queued requests would have taken) but costs
/// about a tenth more CPU per action: measured in the README's performance section.
/// </summary>
public sealed class ActionAdmission : IDisposable
{
    private readonly SemaphoreSlim? turns;
    private int waiting;

    public ActionAdmission(IOptions<ReportOptions> options)
    {
        Limit = options.Value.MaxConcurrentActions;
        turns = Limit is { } limit ? new SemaphoreSlim(limit, limit) : null;
    }

    /// <summary>Actions this host runs at once; null when there is no limit.</summary>
    public int? Limit { get; }

    /// <summary>Actions holding a turn now (0 when there is no limit).</summary>
    public int Running => turns is null ? 0 : Limit!.Value - turns.CurrentCount;

    /// <summary>Actions waiting for a turn now.</summary>
    public int Waiting => Volatile.Read(ref waiting);

    /// <summary>Waits for a turn; dispose the result to give it back.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        if (turns is null || turns.Wait(0, CancellationToken.None))
        {
            return new Turn(turns);
        }

        Interlocked.Increment(ref waiting);
        ReformTelemetry.ActionsWaiting.Add(1);
        try
        {
            await turns.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref waiting);
            ReformTelemetry.ActionsWaiting.Add(-1);
        }

        return new Turn(turns);
    }

    public void Dispose() => turns?.Dispose();

    /// <summary>A turn to act; disposing it lets the next waiting action in.</summary>
    public readonly struct Turn(SemaphoreSlim? turns) : IDisposable
    {
        public void Dispose() => turns?.Release();
    }
}
