using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// Keeps <see cref="ReportProjection"/> current from the report events. Each message applies
/// once (processed-message ids), and an event older than the row's version is ignored, so
/// redelivery and reordering leave the projection equal to a rebuild.
/// </summary>
public sealed class ReportProjectionConsumer(ReformDbContext db, TimeProvider time) : IdempotentConsumer(db, time),
    IConsumer<ReportOpened>, IConsumer<ReportSubmitted>, IConsumer<ReportRecalled>, IConsumer<ReportApproved>,
    IConsumer<ReportReturned>, IConsumer<ReportConcurred>, IConsumer<ReportAccepted>
{
    public Task Consume(ConsumeContext<ReportOpened> context) => ApplyAsync(context, context.Message);

    public Task Consume(ConsumeContext<ReportSubmitted> context) => ApplyAsync(context, context.Message);

    public Task Consume(ConsumeContext<ReportRecalled> context) => ApplyAsync(context, context.Message);

    public Task Consume(ConsumeContext<ReportApproved> context) => ApplyAsync(context, context.Message);

    public Task Consume(ConsumeContext<ReportReturned> context) => ApplyAsync(context, context.Message);

    public Task Consume(ConsumeContext<ReportConcurred> context) => ApplyAsync(context, context.Message);

    public Task Consume(ConsumeContext<ReportAccepted> context) => ApplyAsync(context, context.Message);

    private Task ApplyAsync(ConsumeContext context, ReportEvent e) => ConsumeOnceAsync(context, async cancellationToken =>
    {
        var row = await Db.ReportProjections.SingleOrDefaultAsync(p => p.ReportId == e.ReportId, cancellationToken);
        if (row is null)
        {
            // The due date is fixed when the check-in opens. An event of a report this database
            // does not hold (another environment sharing the broker) is not ours to project.
            var due = await Db.ProgressReports.Where(r => r.Id == e.ReportId).Select(r => (DateOnly?)r.DueDate).SingleOrDefaultAsync(cancellationToken);
            if (due is null)
            {
                return;
            }

            row = new ReportProjection
            {
                ReportId = e.ReportId, FiscalYear = e.FiscalYear, MeasureCode = e.MeasureCode, ItemCode = e.ItemCode,
                SectionCode = e.SectionCode, DepartmentCode = e.DepartmentCode, Status = e.Status, Version = 0, DueDate = due.Value,
            };
            Db.ReportProjections.Add(row);
        }

        if (e.Version <= row.Version)
        {
            return;
        }

        row.Status = e.Status;
        row.Version = e.Version;
        row.UpdatedAt = e.At;
    });
}
