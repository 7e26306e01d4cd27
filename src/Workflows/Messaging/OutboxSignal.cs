using AomoriReform.Workflows.Persistence;

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
    protected override bool Watches(Type entityType, bool added) => added && entityType == typeof(OutboxMessage);

    protected override void Committed() => signal.Notify();
}
