using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Rollups;

namespace AomoriReform.Tests.Rollups;

/// <summary>
/// The projection consumer's lanes (one per event type) combine: batches that arrive while one is applied
/// are applied together, in one round, by one caller; a failed round is applied again batch by batch.
/// </summary>
public sealed class ProjectionCombinerTests
{
    private static List<(Guid MessageId, ReportEvent Event)> Batch(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => (Guid.NewGuid(), (ReportEvent)new ReportSubmitted { ReportId = Guid.NewGuid(), Version = 2 }))];

    [Fact]
    public async Task Batches_that_arrive_while_one_is_applied_are_applied_together_in_the_next_round()
    {
        var combiner = new ProjectionCombiner();
        var rounds = new List<(string Caller, int Events)>();
        var firstHeld = new TaskCompletionSource();
        var firstEntered = new TaskCompletionSource();

        Func<IReadOnlyList<(Guid, ReportEvent)>, Task> Apply(string caller) => async round =>
        {
            lock (rounds)
            {
                rounds.Add((caller, round.Count));
            }

            if (caller == "submitted")
            {
                firstEntered.SetResult();
                await firstHeld.Task;
            }
        };

        var submitted = Batch(3);
        var approved = Batch(5);
        var accepted = Batch(7);
        var first = combiner.ApplyAsync(submitted, Apply("submitted"));
        await firstEntered.Task;
        var second = combiner.ApplyAsync(approved, Apply("approved"));
        var third = combiner.ApplyAsync(accepted, Apply("accepted"));
        // Neither starts a round of its own while the first is applied.
        await Task.Delay(100);
        Assert.Single(rounds);
        Assert.False(second.IsCompleted || third.IsCompleted);

        firstHeld.SetResult();
        await Task.WhenAll(first, second, third).WaitAsync(TimeSpan.FromSeconds(10));

        // Two rounds: the first batch alone, then the two that waited together, applied by the first of them.
        Assert.Equal([("submitted", 3), ("approved", 12)], rounds);
    }

    [Fact]
    public async Task A_failed_round_is_applied_again_batch_by_batch_and_only_the_batch_that_fails_fails()
    {
        var combiner = new ProjectionCombiner();
        var held = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        var first = combiner.ApplyAsync(Batch(1), async _ =>
        {
            entered.SetResult();
            await held.Task;
        });
        await entered.Task;

        // One batch holds an event the database refuses: any round that contains it fails, as a whole.
        var poison = Batch(2);
        var refused = poison[0].MessageId;
        var applied = new List<int>();
        Task Apply(IReadOnlyList<(Guid MessageId, ReportEvent Event)> round)
        {
            if (round.Any(e => e.MessageId == refused))
            {
                throw new InvalidOperationException("refused");
            }

            lock (applied)
            {
                applied.Add(round.Count);
            }

            return Task.CompletedTask;
        }

        var healthy = combiner.ApplyAsync(Batch(4), Apply);
        var failing = combiner.ApplyAsync(poison, Apply);
        var alsoHealthy = combiner.ApplyAsync(Batch(3), Apply);
        held.SetResult();
        await first;

        await healthy.WaitAsync(TimeSpan.FromSeconds(10));
        await alsoHealthy.WaitAsync(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => failing.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("refused", e.Message);
        // The combined round of 9 failed; then each alone: the healthy ones applied, the refused one not.
        Assert.Equal([3, 4], applied.Order());

        // Nobody is left applying: the next batch runs its own round at once.
        var next = 0;
        await combiner.ApplyAsync(Batch(6), round =>
        {
            next = round.Count;
            return Task.CompletedTask;
        }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(6, next);
    }
}
