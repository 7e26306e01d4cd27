using AomoriReform.Contracts.Reports;

namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// Applies the projection consumer's batches one transaction at a time per host, and those that arrive
/// while one is applied together in the next (flat combining). The consumer takes one batch per event
/// type, so an approval's events used to fall into three concurrent transactions that locked the same
/// report rows and group counts and waited on each other's commits; the waits, not the work, made the
/// tail of the rollup lag under load (the 2026-12-06 runs: an event's p99 to the consumer 160-200 ms,
/// the probes' up to 420). Running the batches strictly one after another, each in its own transaction,
/// was tried on 2026-12-05 and fell behind (10-15 s of lag): combining keeps the number of transactions
/// at one per round, however many lanes wait, and the newest event of a report wins within the round.
/// </summary>
/// <remarks>
/// The caller that finds nobody applying applies a round: its own batch and every batch waiting, with its
/// own unit of work. When the round ends it completes the others and hands the turn to the first batch
/// that arrived meanwhile, whose caller
/// then applies the next round with its own unit of work. No caller applies for longer than one round
/// after its own batch, so no consumer holds its messages for other lanes' sake.
/// A round of several batches that fails is applied again one batch at a time, each in a transaction of
/// its own, and each batch gets its own outcome: one batch the database refuses fails alone (the bus
/// retries it and in the end faults it), as before the combining, instead of taking the others with it
/// every time it is retried. The apply delegate must therefore leave its unit of work reusable after a
/// failure.
/// </remarks>
public sealed class ProjectionCombiner
{
    private readonly Lock gate = new();
    private List<Waiting> waiting = [];
    private bool applying;

    /// <summary>Applies <paramref name="events"/>, possibly with other batches, through <paramref name="apply"/> or another caller's.</summary>
    public async Task ApplyAsync(
        IReadOnlyList<(Guid MessageId, ReportEvent Event)> events,
        Func<IReadOnlyList<(Guid MessageId, ReportEvent Event)>, Task> apply)
    {
        var mine = new Waiting(events);
        bool turn;
        lock (gate)
        {
            waiting.Add(mine);
            turn = !applying;
            applying = true;
        }

        // True: another caller applied this batch (or threw its failure). False: the turn was handed over.
        if (!turn && await mine.Outcome.Task)
        {
            return;
        }

        List<Waiting> round;
        lock (gate)
        {
            round = waiting;
            waiting = [];
        }

        try
        {
            await apply(round.Count == 1 ? events : [.. round.SelectMany(w => w.Events)]);
            foreach (var other in round.Where(w => w != mine))
            {
                other.Outcome.SetResult(true);
            }
        }
        catch (Exception) when (round.Count > 1)
        {
            // Which batch failed is not known: each alone, in arrival order, this caller's last.
            foreach (var other in round.Where(w => w != mine))
            {
                try
                {
                    await apply(other.Events);
                    other.Outcome.SetResult(true);
                }
                catch (Exception e)
                {
                    other.Outcome.SetException(e);
                }
            }

            await apply(events);
        }
        finally
        {
            lock (gate)
            {
                if (waiting.Count > 0)
                {
                    // The turn passes on (applying stays true): the first batch to arrive applies the next round.
                    waiting[0].Outcome.SetResult(false);
                }
                else
                {
                    applying = false;
                }
            }
        }
    }

    private sealed class Waiting(IReadOnlyList<(Guid MessageId, ReportEvent Event)> events)
    {
        public IReadOnlyList<(Guid MessageId, ReportEvent Event)> Events { get; } = events;

        public TaskCompletionSource<bool> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
