using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Rollups;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AomoriReform.Tests.Rollups;

/// <summary>
/// The operator's rebuild while the projection consumer writes (PostgreSQL: on SQLite the write gate
/// serialises every writer). At 100,000 reports a rebuild during the check-in's flood of events failed
/// on the projection's key: a consumer's batch had inserted a row between the rebuild's delete and insert.
/// </summary>
public sealed class RollupRebuildTests : IAsyncLifetime
{
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(Profile.Production, new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync();
        var opened = await services.In<CheckInOpener, Outcome<CheckInView>>(opener => opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None));
        Assert.Equal(OutcomeKind.Ok, opened.Kind);
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task A_rebuild_waits_for_a_consumer_batch_under_way_and_ends_equal_to_the_reports()
    {
        // A consumer's batch mid-way: the projection row of one report inserted, not yet committed.
        await using var consumer = new NpgsqlConnection(services.Database.PostgresConnectionString);
        await consumer.OpenAsync();
        await using var batch = await consumer.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO report_projections (report_id, fiscal_year, measure_code, item_code, section_code, department_code, status, version, due_date, updated_at)
            SELECT id, fiscal_year, measure_code, item_code, section_code, department_code, status, version, due_date, updated_at FROM progress_reports ORDER BY id LIMIT 1
            """, consumer, batch))
        {
            Assert.Equal(1, await insert.ExecuteNonQueryAsync());
        }

        var rebuild = services.In<RollupQueries, int>(queries => queries.RebuildAsync(2025, CancellationToken.None));
        // Whatever the rebuild has done by now, the batch commits before it can finish.
        await Task.Delay(300);
        await batch.CommitAsync();

        var reports = await services.Db(db => db.ProgressReports.CountAsync(r => r.FiscalYear == 2025));
        Assert.Equal(reports, await rebuild);
        Assert.Equal(reports, await services.Db(db => db.ReportProjections.CountAsync(p => p.FiscalYear == 2025)));
    }
}
