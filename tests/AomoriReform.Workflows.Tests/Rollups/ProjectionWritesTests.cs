using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Rollups;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Rollups;

/// <summary>
/// The projection consumer's set statements on both databases (PostgreSQL's arrays, SQLite's rows of
/// values): a message id is recorded once, and a projection row only ever moves to a newer version.
/// </summary>
public sealed class ProjectionWritesTests
{
    private static readonly DateTime At = new(2026, 6, 1, 3, 4, 5, 678, DateTimeKind.Utc);

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task A_message_id_is_recorded_once_and_answered_only_the_first_time(Profile profile)
    {
        await using var services = await WorkflowServices.CreateAsync(profile);
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid();

        var first = await services.Db(db => ProjectionWrites.RecordAsync(db, "test-consumer", [b, a], At, CancellationToken.None));
        var second = await services.Db(db => ProjectionWrites.RecordAsync(db, "test-consumer", [c, b, c], At, CancellationToken.None));
        // Another consumer's record of the same id is its own.
        var other = await services.Db(db => ProjectionWrites.RecordAsync(db, "other-consumer", [a], At, CancellationToken.None));

        Assert.Equal(new[] { a, b }.Order(), first.Order());
        Assert.Equal([c], second);
        Assert.Equal([a], other);
        var stored = await services.Db(db => db.ProcessedMessages.Where(p => p.Consumer == "test-consumer").ToListAsync());
        Assert.Equal(new[] { a, b, c }.Order(), stored.Select(p => p.MessageId).Order());
        Assert.All(stored, p => Assert.Equal(At, p.ProcessedAt));
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task A_projection_row_moves_to_a_newer_version_and_never_back(Profile profile)
    {
        await using var services = await WorkflowServices.CreateAsync(profile);
        var (behind, ahead, absent) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await services.Db(db =>
        {
            db.ReportProjections.Add(Row(behind, "Draft", 2));
            db.ReportProjections.Add(Row(ahead, "Approved", 5));
            return db.SaveChangesAsync();
        });

        await services.Db(async db =>
        {
            await ProjectionWrites.UpdateAsync(db, [
                new ReportSubmitted { ReportId = behind, Status = "Submitted", Version = 3, At = At },
                new ReportSubmitted { ReportId = ahead, Status = "Submitted", Version = 4, At = At },
                new ReportSubmitted { ReportId = absent, Status = "Submitted", Version = 1, At = At },
            ], CancellationToken.None);
            return 0;
        });

        var rows = await services.Db(db => db.ReportProjections.AsNoTracking().ToDictionaryAsync(p => p.ReportId));
        Assert.Equal(("Submitted", 3, At), (rows[behind].Status, rows[behind].Version, rows[behind].UpdatedAt));
        Assert.Equal(("Approved", 5, At.AddDays(-1)), (rows[ahead].Status, rows[ahead].Version, rows[ahead].UpdatedAt));
        // An event of a row that is not there creates none: new rows are the consumer's to insert.
        Assert.False(rows.ContainsKey(absent));
    }

    private static ReportProjection Row(Guid id, string status, int version) => new()
    {
        ReportId = id, FiscalYear = 2025, MeasureCode = "M-1", ItemCode = "1-1", SectionCode = "S", DepartmentCode = "D",
        Status = status, Version = version, DueDate = new DateOnly(2026, 5, 29), UpdatedAt = At.AddDays(-1),
    };
}
