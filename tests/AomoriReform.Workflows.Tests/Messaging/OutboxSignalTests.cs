using AomoriReform.Workflows.Messaging;

namespace AomoriReform.Tests.Messaging;

/// <summary>The dispatcher's wake-up after commits that wrote outbox rows.</summary>
public sealed class OutboxSignalTests
{
    [Fact]
    public async Task Several_notifications_make_one_wake_up_and_a_notification_after_it_another()
    {
        using var signal = new OutboxSignal();
        signal.Notify();
        signal.Notify();
        signal.Notify();

        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.False(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));

        signal.Notify();
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.False(await signal.WaitAsync(TimeSpan.FromMilliseconds(20), CancellationToken.None));
    }

    [Fact]
    public async Task Commits_racing_each_other_and_the_dispatcher_never_throw_and_the_last_one_wakes_it()
    {
        using var signal = new OutboxSignal();
        var thrown = 0;
        void Count(object? sender, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
        {
            if (e.Exception is SemaphoreFullException)
            {
                Interlocked.Increment(ref thrown);
            }
        }

        AppDomain.CurrentDomain.FirstChanceException += Count;
        try
        {
            // Commits notify without pause while the dispatcher wakes 5,000 times: each wake-up empties the
            // signal, and the commits race each other to fill it again.
            using var stop = new CancellationTokenSource();
            var wakeUps = 0;
            var commits = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    signal.Notify();
                }
            })).ToArray();
            while (wakeUps < 5_000)
            {
                if (await signal.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None))
                {
                    wakeUps++;
                }
            }

            await stop.CancelAsync();
            await Task.WhenAll(commits);
            while (await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None))
            {
            }

            // Whatever the interleaving, a notification after the dispatcher's last wake-up is not lost.
            signal.Notify();
            Assert.True(await signal.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
        }
        finally
        {
            AppDomain.CurrentDomain.FirstChanceException -= Count;
        }

        Assert.Equal(0, thrown);
    }
}
