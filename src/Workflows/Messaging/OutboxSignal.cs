using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Messaging;

/// <summary>Wakes the dispatcher as soon as a commit carried outbox rows, instead of waiting for its next poll.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim signal = new(0, 1);

    public void Notify()
    {
        if (signal.CurrentCount == 0)
        {
            try
            {
                signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another commit signalled first; one wake-up is enough.
            }
        }
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => signal.WaitAsync(timeout, cancellationToken);

    public void Dispose() => signal.Dispose();
}

/// <summary>Notifies <see cref="OutboxSignal"/> after a commit that wrote outbox rows.</summary>
public sealed class OutboxCommitInterceptor(OutboxSignal signal) : CommitWatchInterceptor
{
    protected override bool Writes(DbContext context) => context.ChangeTracker.Entries<OutboxMessage>().Any(e => e.State == EntityState.Added);

    protected override void Committed() => signal.Notify();
}
