using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Persistence;

/// <summary>
/// <see cref="BulkInsert"/>, the check-in's writer: every row as given, in the order given (the outbox's
/// sequence is the events' order), over more rows than one statement holds on PostgreSQL (full statements,
/// prepared once used often enough, and a shorter last one) and one prepared statement per row on SQLite; the model's converters and
/// nullable columns as SaveChanges writes them, and a computed column left to the database.
/// </summary>
public sealed class BulkInsertTests
{
    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task Twenty_thousand_events_are_written_as_given_and_numbered_in_the_order_given(Profile profile)
    {
        await using var services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        var after = await services.Db(db => db.OutboxMessages.Select(m => (long?)m.Sequence).MaxAsync()) ?? 0;

        var given = await services.In<IServiceProvider, List<OutboxMessage>>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            var outbox = scope.GetRequiredService<Outbox>();
            // On PostgreSQL an outbox row has few columns, so a statement holds about 2,700 rows: seven statements of the
            // same text, which Npgsql prepares after its fifth use, and a shorter last one.
            var rows = Enumerable.Range(0, 20000).Select(i => outbox.Create(new ReportCommented
            {
                ReportId = Guid.NewGuid(), MeasureCode = $"M-{i:D5}", FiscalYear = 2025, StepId = "chief", Author = $"作成者{i}", At = new DateTime(2026, 4, 1, 1, 0, 0, DateTimeKind.Utc).AddSeconds(i),
            }, i % 3 == 0 ? null : $"stream-{i % 7}")).ToList();
            await using var transaction = await db.Database.BeginTransactionAsync();
            await BulkInsert.InsertAsync(db, rows, CancellationToken.None);
            await transaction.CommitAsync();
            return rows;
        });

        var stored = await services.Db(db => db.OutboxMessages.AsNoTracking().Where(m => m.Sequence > after).OrderBy(m => m.Sequence).ToListAsync());
        Assert.Equal(given.Count, stored.Count);
        Assert.Equal(
            given.Select(m => (m.MessageId, m.MessageType, m.Payload, m.StreamId, m.CreatedAt, (DateTime?)null)),
            stored.Select(m => (m.MessageId, m.MessageType, m.Payload, m.StreamId, m.CreatedAt, m.SentAt)));
        Assert.Equal(DateTimeKind.Utc, stored[0].CreatedAt.Kind);
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task Tasks_keep_their_enums_dates_and_empty_columns_and_the_database_computes_their_group_key(Profile profile)
    {
        await using var services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync();
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
        var report = await services.Db(db => db.ProgressReports.OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());

        var given = await services.In<IServiceProvider, List<WorkTask>>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            var rows = Enumerable.Range(0, 1500).Select(i => new WorkTask
            {
                Id = Guid.NewGuid(), ReportId = report, StepId = $"step-{i}", Kind = i % 2 == 0 ? WorkTaskKind.Action : WorkTaskKind.PostReview,
                AssigneeRole = i % 2 == 0 ? Role.SectionChief : Role.HqReviewer, AssigneeSectionCode = i % 2 == 0 ? "gyosei-keiei" : null,
                AssigneeUserId = i % 2 == 0 ? null : $"user-{i}", State = i % 5 == 0 ? WorkTaskState.Completed : WorkTaskState.Open,
                DueDate = new DateOnly(2026, 5, 29).AddDays(i % 40), CreatedAt = new DateTime(2026, 4, 1, 1, 0, 0, DateTimeKind.Utc).AddMinutes(i),
            }).ToList();
            await using var transaction = await db.Database.BeginTransactionAsync();
            await BulkInsert.InsertAsync(db, rows, CancellationToken.None);
            await transaction.CommitAsync();
            return rows;
        });

        var ids = given.Select(t => t.Id).ToHashSet();
        var stored = (await services.Db(db => db.WorkTasks.AsNoTracking().Where(t => t.ReportId == report && t.StepId.StartsWith("step-")).ToListAsync()))
            .ToDictionary(t => t.Id);
        Assert.Equal(ids, stored.Keys.ToHashSet());
        foreach (var task in given)
        {
            var row = stored[task.Id];
            Assert.Equal(
                (task.StepId, task.Kind, task.AssigneeRole, task.AssigneeSectionCode, task.AssigneeUserId, task.State, task.DueDate, task.CreatedAt),
                (row.StepId, row.Kind, row.AssigneeRole, row.AssigneeSectionCode, row.AssigneeUserId, row.State, row.DueDate, row.CreatedAt));
        }

        // The group key is the database's to compute (a stored column on PostgreSQL, a virtual one on SQLite).
        var keys = await services.Db(db => db.WorkTasks.AsNoTracking().Where(t => ids.Contains(t.Id))
            .GroupBy(t => EF.Property<string>(t, AssigneeKeys.Property)).Select(g => new { g.Key, Count = g.Count() }).ToListAsync());
        Assert.Equal(
            [("HqReviewer::", 750), ("SectionChief:gyosei-keiei:", 750)],
            keys.Select(k => (k.Key, k.Count)).OrderBy(k => k.Key, StringComparer.Ordinal));
    }
}
