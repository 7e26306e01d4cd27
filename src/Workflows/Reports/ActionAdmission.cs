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
/// throughput (about an eighth on a 2-core machine): measured in the README's performance section.
/// </summary>
public sealed class ActionAdmission
{
    // Turns are handed on directly: the action that gives one back completes the next waiter's
    // task on its own thread (continuations run inline), so the next action starts at once on a
    // thread that is already running instead of waking a sleeping worker of the thread pool.
    private readonly Lock sync = new();
    private readonly LinkedList<TaskCompletionSource> waiters = [];
    private int free;

    public ActionAdmission(IOptions<ReportOptions> options)
    {
        Limit = options.Value.MaxConcurrentActions;
        free = Limit ?? 0;
    }

    /// <summary>Actions this host runs at once; null when there is no limit.</summary>
    public int? Limit { get; }

    /// <summary>Actions holding a turn now (0 when there is no limit).</summary>
    public int Running
    {
        get
        {
            lock (sync)
            {
                return Limit is { } limit ? limit - free : 0;
            }
        }
    }

    /// <summary>Actions waiting for a turn now.</summary>
    public int Waiting
    {
        get
        {
            lock (sync)
            {
                return waiters.Count;
            }
        }
    }

    /// <summary>Waits for a turn; dispose the result to give it back.</summary>
    public async ValueTask<Turn> EnterAsync(CancellationToken cancellationToken)
    {
        if (Limit is null)
        {
            return default;
        }

        LinkedListNode<TaskCompletionSource> node;
        lock (sync)
        {
            if (free > 0)
            {
                free--;
                return new Turn(this);
            }

            cancellationToken.ThrowIfCancellationRequested();
            node = waiters.AddLast(new TaskCompletionSource());
        }

        ReformTelemetry.ActionsWaiting.Add(1);
        try
        {
            // Whoever takes the node out of the list completes it: the turn's giver, or the cancellation.
            await using (cancellationToken.Register(() =>
            {
                bool removed;
                lock (sync)
                {
                    removed = node.List is not null;
                    if (removed)
                    {
                        waiters.Remove(node);
                    }
                }

                if (removed)
                {
                    node.Value.TrySetCanceled(cancellationToken);
                }
            }))
            {
                await node.Value.Task;
            }
        }
        finally
        {
            ReformTelemetry.ActionsWaiting.Add(-1);
        }

        return new Turn(this);
    }

    private void Release()
    {
        TaskCompletionSource? next = null;
        lock (sync)
        {
            if (waiters.First is { } first)
            {
                waiters.RemoveFirst();
                next = first.Value;
            }
            else
            {
                free++;
            }
        }

        // The turn passes straight to the next waiter (free stays as it was).
        next?.TrySetResult();
    }

    /// <summary>A turn to act; disposing it lets the next waiting action in.</summary>
    public readonly struct Turn(ActionAdmission? admission) : IDisposable
    {
        public void Dispose() => admission?.Release();
    }
}
