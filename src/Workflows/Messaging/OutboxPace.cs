using System.Diagnostics;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// Keeps a bulk writer's events from queueing ahead of everyone else's in the one ordered outbox.
/// The reminder sweep records up to tens of thousands of reminders in a run, each with an event; written
/// as fast as it could, they sat ahead of the approvals' events and the rollups fell seconds behind. A
/// bulk writer commits one batch, then waits here until fewer rows than one batch wait to be sent, so
/// it only writes when the dispatcher has caught up: the approvals' events wait behind one batch at
/// most, and under a load the dispatcher cannot keep up with, the writer yields to it.
/// <list type="bullet">
/// <item>A wait ends at the limit (<c>Outbox:PaceLimit</c>) in any case. If some row was sent meanwhile
/// (the dispatcher is busy, not absent), the writer goes on with its next batch and keeps pacing: one
/// batch per limit at worst.</item>
/// <item>If no row at all was sent within the limit, no dispatcher is draining the outbox (every host
/// down or switched off): the writer stops pacing for the rest of its run, as its work must still be done.</item>
/// <item>A process without the dispatcher's registration (the bus) does not pace at all.</item>
/// </list>
/// On the embedded profile a row counts as sent once its consumers have recorded it (about a second
/// after it was published), so under a load there the writer tends to go at one batch per limit.
/// </summary>
public sealed class OutboxPace(TimeSpan limit)
{
    /// <summary>No pacing: the process has no bus, so nothing it could wait for.</summary>
    public static readonly OutboxPace Off = new(TimeSpan.Zero);

    // How often a waiting writer looks again: a read of the unsent index, at most one batch long.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public bool Enabled => limit > TimeSpan.Zero;

    /// <summary>
    /// Waits until fewer than <paramref name="batch"/> rows wait to be sent, or the limit passes; false
    /// when no row was sent within the limit (the caller should stop pacing). Paced on the monotonic
    /// clock, like the dispatcher: a host on a frozen test clock still goes on.
    /// </summary>
    public async Task<bool> WaitAsync(ReformDbContext db, int batch, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return true;
        }

        var start = Stopwatch.GetTimestamp();
        long? oldest = null;
        while (true)
        {
            var unsent = await db.OutboxMessages.AsNoTracking()
                .Where(m => m.SentAt == null)
                .OrderBy(m => m.Sequence)
                .Select(m => m.Sequence)
                .Take(batch)
                .ToListAsync(cancellationToken);
            if (unsent.Count < batch)
            {
                return true;
            }

            oldest ??= unsent[0];
            if (Stopwatch.GetElapsedTime(start) >= limit)
            {
                // Progress: the oldest row that waited when this wait began has been sent.
                return unsent[0] != oldest;
            }

            await Task.Delay(Poll, cancellationToken);
        }
    }
}
