using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// Keeps <see cref="ReportProjection"/> and its <see cref="RollupCount"/> groups current from the
/// report events, in batches: one transaction applies up to a few hundred events and records their
/// message ids. A message id seen before is skipped, and an event older than the row's version is
/// ignored: the batch reads its rows locked (two batches racing on one report wait for each other,
/// so neither can regress it; a clash on inserting a new row fails the batch, which the retry then
/// applies as updates), so redelivery and reordering leave the projection equal to a rebuild.
/// </summary>
public sealed class ReportProjectionConsumer(ReformDbContext db, TimeProvider time, ProjectionCombiner combiner) :
    IConsumer<Batch<ReportOpened>>, IConsumer<Batch<ReportSubmitted>>, IConsumer<Batch<ReportRecalled>>, IConsumer<Batch<ReportApproved>>,
    IConsumer<Batch<ReportReturned>>, IConsumer<Batch<ReportConcurred>>, IConsumer<Batch<ReportAccepted>>
{
    public const string Name = nameof(ReportProjectionConsumer);

    public Task Consume(ConsumeContext<Batch<ReportOpened>> context) => ApplyAsync(context.Message.Select(m => (m.MessageId, (ReportEvent)m.Message)), context.CancellationToken);

    public Task Consume(ConsumeContext<Batch<ReportSubmitted>> context) => ApplyAsync(context.Message.Select(m => (m.MessageId, (ReportEvent)m.Message)), context.CancellationToken);

    public Task Consume(ConsumeContext<Batch<ReportRecalled>> context) => ApplyAsync(context.Message.Select(m => (m.MessageId, (ReportEvent)m.Message)), context.CancellationToken);

    public Task Consume(ConsumeContext<Batch<ReportApproved>> context) => ApplyAsync(context.Message.Select(m => (m.MessageId, (ReportEvent)m.Message)), context.CancellationToken);

    public Task Consume(ConsumeContext<Batch<ReportReturned>> context) => ApplyAsync(context.Message.Select(m => (m.MessageId, (ReportEvent)m.Message)), context.CancellationToken);

    public Task Consume(ConsumeContext<Batch<ReportConcurred>> context) => ApplyAsync(context.Message.Select(m => (m.MessageId, (ReportEvent)m.Message)), context.CancellationToken);

    public Task Consume(ConsumeContext<Batch<ReportAccepted>> context) => ApplyAsync(context.Message.Select(m => (m.MessageId, (ReportEvent)m.Message)), context.CancellationToken);

    private Task ApplyAsync(IEnumerable<(Guid? MessageId, ReportEvent Event)> messages, CancellationToken cancellationToken)
    {
        var batch = messages.Select(m => (MessageId: m.MessageId ?? throw new InvalidOperationException("A report event without a MessageId cannot be de-duplicated."), m.Event))
            .ToList();
        // One transaction per round for all event types' batches (see ProjectionCombiner), in this consumer's unit of work.
        return combiner.ApplyAsync(batch, round => ApplyRoundAsync(round, cancellationToken));
    }

    private async Task ApplyRoundAsync(IReadOnlyList<(Guid MessageId, ReportEvent Event)> events, CancellationToken cancellationToken)
    {
        // A failed round is applied again batch by batch in this unit of work (see ProjectionCombiner):
        // nothing the failed attempt tracked may be saved with the next.
        db.ChangeTracker.Clear();
        var batch = events.DistinctBy(m => m.MessageId).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        // Records the ids not seen before and answers them: one statement instead of a read and a row each.
        var recorded = (await ProjectionWrites.RecordAsync(db, Name, batch.Select(m => m.MessageId).ToList(), now, cancellationToken)).ToHashSet();
        var fresh = batch.Where(m => recorded.Contains(m.MessageId)).ToList();
        if (fresh.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        // The newest event of each report wins; rows are touched in report order so that two
        // batches never lock the same rows in opposite orders.
        var newest = fresh.Select(m => m.Event).GroupBy(e => e.ReportId).Select(g => g.MaxBy(e => e.Version)!).OrderBy(e => e.ReportId).ToList();
        var reportIds = newest.Select(e => e.ReportId).ToList();
        var current = await LockedAsync(reportIds, cancellationToken);
        var missing = reportIds.Where(id => !current.ContainsKey(id)).ToList();
        // The due date is fixed when the check-in opens. An event of a report this database does
        // not hold (another environment sharing the broker) is not ours to project.
        var dueDates = missing.Count == 0
            ? []
            : await db.ProgressReports.Where(r => missing.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.DueDate, cancellationToken);
        var counts = new Dictionary<RollupGroup, int>();
        var changed = new List<ReportEvent>();
        foreach (var e in newest)
        {
            if (current.TryGetValue(e.ReportId, out var row))
            {
                // The row is locked and read in this transaction, so its version is the latest: an
                // older or repeated event changes nothing.
                if (row.Version < e.Version)
                {
                    if (row.Status != e.Status)
                    {
                        Count(counts, RollupGroup.Of(row, row.Status), -1);
                        Count(counts, RollupGroup.Of(row, e.Status), +1);
                    }

                    changed.Add(e);
                }
            }
            else if (dueDates.TryGetValue(e.ReportId, out var due))
            {
                var added = new ReportProjection
                {
                    ReportId = e.ReportId, FiscalYear = e.FiscalYear, MeasureCode = e.MeasureCode, ItemCode = e.ItemCode,
                    SectionCode = e.SectionCode, DepartmentCode = e.DepartmentCode, Status = e.Status, Version = e.Version, DueDate = due, UpdatedAt = e.At,
                };
                db.ReportProjections.Add(added);
                Count(counts, RollupGroup.Of(added, added.Status), +1);
            }
        }

        // New rows (a check-in's opening) through the change tracker; the changed rows in one statement.
        await db.SaveChangesAsync(cancellationToken);
        await ProjectionWrites.UpdateAsync(db, changed, cancellationToken);
        // Last, after every projection row: rows are locked before group counts, never the other way.
        await RollupCounting.AddAsync(db, counts, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var committed = time.GetUtcNow().UtcDateTime;
        foreach (var (_, e) in fresh)
        {
            ReformTelemetry.RecordProjectionLag(committed - e.At);
        }
    }

    private static void Count(Dictionary<RollupGroup, int> counts, RollupGroup group, int change) =>
        counts[group] = counts.GetValueOrDefault(group) + change;

    /// <summary>
    /// The batch's projection rows as they stand, untracked, and locked against other batches until this
    /// one commits (in report order): the group counts move from the status a row had to the one it
    /// gets, and a row changes only for a newer version, so what it had must be the latest. On SQLite
    /// the write gate already admits one transaction at a time.
    /// </summary>
    private async Task<Dictionary<Guid, ReportProjection>> LockedAsync(List<Guid> reportIds, CancellationToken cancellationToken)
    {
        var rows = db.Database.OnPostgres()
            ? db.ReportProjections.FromSql($"SELECT * FROM report_projections WHERE report_id = ANY({reportIds.ToArray()}) ORDER BY report_id FOR UPDATE")
            : db.ReportProjections.Where(p => reportIds.Contains(p.ReportId));
        return await rows.AsNoTracking().ToDictionaryAsync(p => p.ReportId, cancellationToken);
    }
}

/// <summary>
/// Batches of up to 200 events or 50 ms, whichever comes first, one batch per message type at a
/// time; the batches of all types that wait meanwhile are applied together (<see cref="ProjectionCombiner"/>).
/// A 20 ms window was measured on 2026-12-06 and made the tail worse (more transactions). A batch needs that many deliveries in flight, so the prefetch is a little above it, and
/// no more: every delivery in flight is a waiting reader that each new message wakes, and 4,000 of
/// them spent half the host's CPU contending on one lock.
/// </summary>
public sealed class ReportProjectionConsumerDefinition : ConsumerDefinition<ReportProjectionConsumer>
{
    public const int BatchLimit = 200;

    public ReportProjectionConsumerDefinition() => Endpoint(endpoint => endpoint.PrefetchCount = BatchLimit + 56);

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReportProjectionConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.Options<BatchOptions>(batch => batch.SetMessageLimit(BatchLimit).SetTimeLimit(TimeSpan.FromMilliseconds(50)).SetConcurrencyLimit(1));
}
