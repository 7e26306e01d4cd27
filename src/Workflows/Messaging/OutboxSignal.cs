using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Messaging;

/// <summary>Wakes the dispatcher as soon as a commit carried outbox rows, instead of waiting for its next poll.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim signal = new(0, 1);

    // 1 from a notification until the dispatcher wakes to it: only the commit that finds none pending
    // releases the semaphore, so it is never released past its one count (the check of its count and the
    // release were two steps, and two commits between them made the second throw under load).
    private int pending;

    public void Notify()
    {
        if (Interlocked.Exchange(ref pending, 1) == 0)
        {
            signal.Release();
        }
    }

    /// <summary>
    /// True when woken by a notification. It is taken before the dispatcher reads, so a commit
    /// notified from then on wakes it again, and one notified just before is in what it reads.
    /// </summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var woken = await signal.WaitAsync(timeout, cancellationToken);
        if (woken)
        {
            Volatile.Write(ref pending, 0);
        }

        return woken;
    }

    public void Dispose() => signal.Dispose();
}

/// <summary>Notifies <see cref="OutboxSignal"/> after a commit that wrote outbox rows.</summary>
public sealed class OutboxCommitInterceptor(OutboxSignal signal) : CommitWatchInterceptor
{
    protected override bool Writes(DbContext context) => context.ChangeTracker.Entries<OutboxMessage>().Any(e => e.State == EntityState.Added);

    protected override void Committed() => signal.Notify();
}
