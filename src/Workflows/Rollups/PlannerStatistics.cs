using AomoriReform.Contracts.CheckIns;
using AomoriReform.Contracts.Plan;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Plan;
using AomoriReform.Workflows.Reports;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// Refreshes PostgreSQL's planner statistics of the tables a bulk write filled: a check-in's
/// opening (a report, its journal entry, its task and, as the events are projected, its projection
/// per measure) and a plan's import (the measures). Until then the planner plans every inbox, report
/// and list page for the rows the tables held before, 109 where there are now 20,000, and keeps
/// doing so until autovacuum's next ANALYZE, a minute or more later: the minute in which a whole
/// prefecture opens its inbox after the opening's notice. Measured at 20,000 reports (2026-12-06), the
/// pages timed in that minute: some page's p99 over 50 ms (up to 75) in four runs of six with the old
/// statistics; every page's within 28 ms in three runs with fresh ones.
/// It runs on the event, after the bulk write has committed, so the opening answers as fast as before.
/// SQLite is left as it is: without ANALYZE its planner goes by the indexes alone, which is what the
/// query-plan tests hold.
/// </summary>
public sealed class PlannerStatistics(ReformDbContext db, TimeProvider time)
    : IdempotentConsumer(db, time), IConsumer<CheckInOpened>, IConsumer<PlanImported>
{
    public Task Consume(ConsumeContext<CheckInOpened> context) => ConsumeOnceAsync(context, cancellationToken =>
        AnalyzeAsync([typeof(ProgressReport), typeof(JournalEntry), typeof(WorkTask), typeof(ReportProjection)], cancellationToken));

    public Task Consume(ConsumeContext<PlanImported> context) => ConsumeOnceAsync(context, cancellationToken =>
        AnalyzeAsync([typeof(Measure), typeof(PlanItem)], cancellationToken));

    private async Task AnalyzeAsync(Type[] entities, CancellationToken cancellationToken)
    {
        if (!Db.Database.OnPostgres())
        {
            return;
        }

        // Table names from the model, quoted as EF Core quotes them; ANALYZE may run inside the consumer's
        // transaction. A role that does not own a table gets a warning from PostgreSQL and the table is
        // skipped, never an error.
        var sql = Db.GetService<ISqlGenerationHelper>();
        var tables = entities.Select(type => Db.Model.FindEntityType(type) ?? throw new InvalidOperationException($"{type.Name} is not in the model."))
            .Select(entity => sql.DelimitIdentifier(entity.GetTableName()!, entity.GetSchema()));
        var analyze = "ANALYZE " + string.Join(", ", tables);
        await Db.Database.ExecuteSqlRawAsync(analyze, cancellationToken);
    }
}
