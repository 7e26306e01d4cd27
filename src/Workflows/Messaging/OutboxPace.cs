using System.Diagnostics;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Messaging;

/// <summary>
/// Keeps a bulk writer's events from queueing ahead of everyone else's in the one ordered outbox.
/// The reminder sweep records up to tens of thousands of reminders in a run, each with an event; written
/// as fast as it can, they sat ahead of the approvals' events and the rollups fell seconds behind. A
/// bulk writer commits one batch, then waits here until the dispatcher has sent that batch's last row,
/// so an event committed meanwhile waits behind at most one batch. A wait longer than the limit
/// (<c>Outbox:PaceLimit</c>) means that no dispatcher is draining the outbox (every host down or
/// disabled): the writer then stops pacing for the rest of its run, as its work must still be done.
/// A process without the dispatcher's registration (the bus) does not pace at all.
/// </summary>
public sealed class OutboxPace(TimeSpan limit)
{
    /// <summary>No pacing: the process has no bus, so nothing it could wait for.</summary>
    public static readonly OutboxPace Off = new(TimeSpan.Zero);

    // How often a waiting writer looks again: one lookup by primary key each time.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    public bool Enabled => limit > TimeSpan.Zero;

    /// <summary>
    /// Waits until the outbox row with this sequence is sent; false when it was not within the limit.
    /// Paced on the monotonic clock, like the dispatcher: a host on a frozen test clock still goes on.
    /// </summary>
    public async Task<bool> WaitSentAsync(ReformDbContext db, long sequence, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return true;
        }

        var start = Stopwatch.GetTimestamp();
        while (await db.OutboxMessages.AnyAsync(m => m.Sequence == sequence && m.SentAt == null, cancellationToken))
        {
            if (Stopwatch.GetElapsedTime(start) >= limit)
            {
                return false;
            }

            await Task.Delay(Poll, cancellationToken);
        }

        return true;
    }
}
