using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// Keeps <see cref="ReportProjection"/> current from the report events, in batches: one
/// transaction applies up to a few hundred events and records their message ids. A message id
/// seen before is skipped, an event older than the row's version is ignored, and the row's
/// version is a concurrency token (a concurrent batch that lost the race retries), so
/// redelivery and reordering leave the projection equal to a rebuild.
/// </summary>
public sealed class ReportProjectionConsumer(ReformDbContext db, TimeProvider time) :
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

    private async Task ApplyAsync(IEnumerable<(Guid? MessageId, ReportEvent Event)> messages, CancellationToken cancellationToken)
    {
        var batch = messages.Select(m => (MessageId: m.MessageId ?? throw new InvalidOperationException("A report event without a MessageId cannot be de-duplicated."), m.Event))
            .DistinctBy(m => m.MessageId)
            .ToList();
        var ids = batch.Select(m => m.MessageId).ToList();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var processed = (await db.ProcessedMessages.Where(p => p.Consumer == Name && ids.Contains(p.MessageId)).Select(p => p.MessageId).ToListAsync(cancellationToken)).ToHashSet();
        var fresh = batch.Where(m => !processed.Contains(m.MessageId)).ToList();
        if (fresh.Count == 0)
        {
            return;
        }

        var reportIds = fresh.Select(m => m.Event.ReportId).Distinct().ToList();
        var rows = await db.ReportProjections.Where(p => reportIds.Contains(p.ReportId)).ToDictionaryAsync(p => p.ReportId, cancellationToken);
        var missing = reportIds.Where(id => !rows.ContainsKey(id)).ToList();
        // The due date is fixed when the check-in opens. An event of a report this database does
        // not hold (another environment sharing the broker) is not ours to project.
        var dueDates = missing.Count == 0
            ? []
            : await db.ProgressReports.Where(r => missing.Contains(r.Id)).ToDictionaryAsync(r => r.Id, r => r.DueDate, cancellationToken);
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var (messageId, e) in fresh.OrderBy(m => m.Event.Version))
        {
            db.ProcessedMessages.Add(new ProcessedMessage { Consumer = Name, MessageId = messageId, ProcessedAt = now });
            if (!rows.TryGetValue(e.ReportId, out var row))
            {
                if (!dueDates.TryGetValue(e.ReportId, out var due))
                {
                    continue;
                }

                row = rows[e.ReportId] = new ReportProjection
                {
                    ReportId = e.ReportId, FiscalYear = e.FiscalYear, MeasureCode = e.MeasureCode, ItemCode = e.ItemCode,
                    SectionCode = e.SectionCode, DepartmentCode = e.DepartmentCode, Status = e.Status, Version = e.Version, DueDate = due, UpdatedAt = e.At,
                };
                db.ReportProjections.Add(row);
                continue;
            }

            if (e.Version > row.Version)
            {
                row.Status = e.Status;
                row.Version = e.Version;
                row.UpdatedAt = e.At;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }
}

/// <summary>Batches of up to 500 events or 20 ms, whichever comes first, one batch per message type at a time.</summary>
public sealed class ReportProjectionConsumerDefinition : ConsumerDefinition<ReportProjectionConsumer>
{
    public ReportProjectionConsumerDefinition() => Endpoint(endpoint => endpoint.PrefetchCount = 4000);

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<ReportProjectionConsumer> consumerConfigurator, IRegistrationContext context) =>
        consumerConfigurator.Options<BatchOptions>(batch => batch.SetMessageLimit(500).SetTimeLimit(TimeSpan.FromMilliseconds(20)).SetConcurrencyLimit(1));
}
