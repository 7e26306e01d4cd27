using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Persistence;

/// <summary>
/// <see cref="ChangeBatch"/>, the write of an action on a report: all of it commits or none of it, a row
/// changed since it was loaded fails the whole write, new rows keep the order they were added in (the
/// outbox's order is the events' order), and the dispatcher is woken only once the write has committed.
/// </summary>
public sealed class ChangeBatchTests
{
    [Theory]
    [InlineData(Profile.Embedded, false)]
    [InlineData(Profile.Production, false)]
    [InlineData(Profile.Embedded, true)]
    [InlineData(Profile.Production, true)]
    public async Task A_row_changed_since_it_was_loaded_fails_the_whole_write_and_nothing_of_it_commits(Profile profile, bool untracked)
    {
        var (services, id) = await ReportAsync(profile);
        await using var _ = services;
        var before = await CountsAsync(services, id);
        var signal = await Drained(services);

        var failure = await services.In<IServiceProvider, DbUpdateException>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            // Tracked, or read untracked with its values as read kept (LoadedRow), as an action reads it.
            var report = untracked
                ? await db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id)
                : await db.ProgressReports.SingleAsync(r => r.Id == id);
            List<ChangeBatch.Row> rows = untracked ? [LoadedRow.Of(db, report)] : [];
            // Another unit of work acts on the report after this one loaded it.
            await services.Db(other => other.ProgressReports.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Version, r => r.Version + 1)));
            report.Version++;
            report.Status = "submitted";
            var outbox = scope.GetRequiredService<Outbox>();
            if (untracked)
            {
                // As an action hands its new rows over: never to the change tracker (NewRow).
                rows.Add(NewRow.Of(db, NewTask(report.Id)));
                rows.AddRange(Created(outbox, report.Id, 3).Select(m => NewRow.Of(db, m)));
            }
            else
            {
                db.WorkTasks.Add(NewTask(report.Id));
                Added(outbox, report.Id, 3);
            }

            return await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => ChangeBatch.SaveAsync(db, rows, CancellationToken.None));
        });

        Assert.Contains("ProgressReport", failure.Message, StringComparison.Ordinal);
        Assert.Equal(before with { Version = before.Version + 1 }, await CountsAsync(services, id));
        Assert.False(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task New_rows_keep_the_order_they_were_added_in_and_the_commit_wakes_the_dispatcher(Profile profile)
    {
        var (services, id) = await ReportAsync(profile);
        await using var _ = services;
        var before = await CountsAsync(services, id);
        var signal = await Drained(services);
        var lastSequence = await services.Db(db => db.OutboxMessages.MaxAsync(m => m.Sequence));

        var (added, tracked) = await services.In<IServiceProvider, (List<Guid>, int)>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            var outbox = scope.GetRequiredService<Outbox>();
            var report = await db.ProgressReports.SingleAsync(r => r.Id == id);
            report.Version++;
            report.Status = "submitted";
            var ids = new List<Guid>();
            for (var i = 0; i < 8; i++)
            {
                // Rows of other tables in between, as an action adds its task between its events.
                db.WorkTasks.Add(NewTask(report.Id));
                ids.AddRange(Added(outbox, report.Id, 3));
            }

            await ChangeBatch.SaveAsync(db, CancellationToken.None);
            return (ids, db.ChangeTracker.Entries().Count());
        });

        Assert.Equal(0, tracked);
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        var written = await services.Db(db => db.OutboxMessages.Where(m => m.Sequence > lastSequence).OrderBy(m => m.Sequence).Select(m => m.MessageId).ToListAsync());
        Assert.Equal(added, written);
        Assert.Equal(before with { Version = before.Version + 1, Status = "submitted", Tasks = before.Tasks + 8, Events = before.Events + 24 }, await CountsAsync(services, id));
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task New_rows_handed_over_untracked_go_in_the_order_given_after_the_tracker_s_and_the_commit_wakes_the_dispatcher(Profile profile)
    {
        var (services, id) = await ReportAsync(profile);
        await using var _ = services;
        var before = await CountsAsync(services, id);
        var signal = await Drained(services);
        var lastSequence = await services.Db(db => db.OutboxMessages.MaxAsync(m => m.Sequence));
        var lastJournal = await services.Db(db => db.JournalEntries.MaxAsync(e => (long?)e.Id)) ?? 0;

        var (tracked, handed, left) = await services.In<IServiceProvider, (List<Guid>, List<Guid>, int)>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            var outbox = scope.GetRequiredService<Outbox>();
            var report = await db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id);
            List<ChangeBatch.Row> rows = [LoadedRow.Of(db, report)];
            report.Version++;
            report.Status = "submitted";
            // Two events through the tracker (Outbox.Add), then the handed-over rows: tasks between events, as an
            // action hands them, and a journal entry whose store-generated key is left to the database.
            var trackedIds = Added(outbox, report.Id, 2);
            var handedIds = new List<Guid>();
            for (var i = 0; i < 4; i++)
            {
                var events = Created(outbox, report.Id, 3);
                handedIds.AddRange(events.Select(m => m.MessageId));
                rows.AddRange(events.Select(m => NewRow.Of(db, m)));
                rows.Add(NewRow.Of(db, NewTask(report.Id)));
            }

            rows.Add(NewRow.Of(db, new JournalEntry
            {
                ReportId = report.Id, Seq = 1_000, At = DateTime.UtcNow, ActorId = "test", Actor = "test", Action = "submit", FromStatus = "draft",
                ToStatus = "submitted", PreviousHash = new string('0', 64), Hash = new string('1', 64),
            }));
            rows.Add(NewRow.Of(db, Record("handed")));
            await ChangeBatch.SaveAsync(db, rows, CancellationToken.None);
            return (trackedIds, handedIds, db.ChangeTracker.Entries().Count());
        });

        Assert.Equal(0, left);
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        var written = await services.Db(db => db.OutboxMessages.Where(m => m.Sequence > lastSequence).OrderBy(m => m.Sequence).Select(m => m.MessageId).ToListAsync());
        Assert.Equal(tracked.Concat(handed), written);
        Assert.Equal(
            before with { Version = before.Version + 1, Status = "submitted", Tasks = before.Tasks + 4, Events = before.Events + 14, Records = before.Records + 1 },
            await CountsAsync(services, id));
        var journal = await services.Db(db => db.JournalEntries.AsNoTracking().SingleAsync(e => e.ReportId == id && e.Seq == 1_000));
        Assert.True(journal.Id > lastJournal);
        Assert.Equal("submitted", journal.ToStatus);
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task Writes_of_one_type_that_change_different_columns_each_write_their_own(Profile profile)
    {
        var (services, id) = await ReportAsync(profile);
        await using var _ = services;
        var due = new DateOnly(2026, 6, 30);

        // The statement for a changed row is built once per set of changed columns: a write of the status
        // alone, then one of the due date alone, then both, must each write what it changed.
        await ChangeAsync(services, id, r => r.Status = "Submitted");
        await ChangeAsync(services, id, r => r.DueDate = due);
        var between = await services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id));
        await ChangeAsync(services, id, r => (r.Status, r.DueDate) = ("Draft", due.AddDays(1)));

        var after = await services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id));
        Assert.Equal(("Submitted", due), (between.Status, between.DueDate));
        Assert.Equal(("Draft", due.AddDays(1)), (after.Status, after.DueDate));
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task A_row_read_untracked_writes_only_the_columns_that_differ_from_its_values_as_read(Profile profile)
    {
        var (services, id) = await ReportAsync(profile);
        await using var _ = services;
        var before = await CountsAsync(services, id);
        var taskId = await services.Db(db => db.WorkTasks.Where(t => t.ReportId == id && t.State == WorkTaskState.Open).Select(t => t.Id).SingleAsync());
        var signal = await Drained(services);

        var tracked = await services.In<IServiceProvider, int>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            var report = await db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id);
            var task = await db.WorkTasks.AsNoTracking().SingleAsync(t => t.Id == taskId);
            List<ChangeBatch.Row> rows = [LoadedRow.Of(db, report), LoadedRow.Of(db, task)];
            // Another unit of work changes a column of the report this one does not change, and one of the task, which this one leaves as it is.
            await services.Db(other => other.ProgressReports.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.Disposition, "kept")));
            await services.Db(other => other.WorkTasks.Where(t => t.Id == taskId).ExecuteUpdateAsync(s => s.SetProperty(t => t.CompletedBy, "someone else")));
            report.Version++;
            report.Status = "submitted";
            report.Round = 7;
            // Set to the value it had: no difference, so not written either.
            report.Concurred = report.Concurred;
            // The new rows handed over as an action hands them (NewRow): the outbox's wake the dispatcher all the same.
            rows.Add(NewRow.Of(db, NewTask(report.Id)));
            rows.AddRange(Created(scope.GetRequiredService<Outbox>(), report.Id, 2).Select(m => NewRow.Of(db, m)));
            await ChangeBatch.SaveAsync(db, rows, CancellationToken.None);
            return db.ChangeTracker.Entries().Count();
        });

        Assert.Equal(0, tracked);
        Assert.True(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.Equal(before with { Version = before.Version + 1, Status = "submitted", Tasks = before.Tasks + 1, Events = before.Events + 2 }, await CountsAsync(services, id));
        var after = await services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id));
        Assert.Equal((7, "kept"), (after.Round, after.Disposition));
        Assert.Equal("someone else", await services.Db(db => db.WorkTasks.Where(t => t.Id == taskId).Select(t => t.CompletedBy).SingleAsync()));
    }

    [Fact]
    public void Every_entity_type_fits_a_change_batch_shape()
    {
        // A shape's key holds one bit per property, so ChangeBatch refuses a wider type (below); none of ours may be one.
        using var postgres = new PostgresDesignTimeFactory().CreateDbContext([]);
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);
        var types = postgres.Model.GetEntityTypes().Concat(sqlite.Model.GetEntityTypes()).ToList();

        Assert.True(types.Count >= 40, $"only {types.Count} entity types in the two models");
        Assert.All(types, type => Assert.True(
            type.GetProperties().Count() <= ChangeBatch.MaxProperties, $"{type.DisplayName()} has {type.GetProperties().Count()} properties"));
    }

    [Fact]
    public void Each_profile_s_context_is_told_apart_by_its_connection_as_by_its_provider()
    {
        // ChangeBatch, the dispatcher and the projection pick their SQL by DatabaseKind, not by EF Core's slower IsNpgsql().
        using var postgres = new PostgresDesignTimeFactory().CreateDbContext([]);
        using var sqlite = new SqliteDesignTimeFactory().CreateDbContext([]);

        Assert.True(postgres.Database.OnPostgres());
        Assert.False(sqlite.Database.OnPostgres());
        Assert.Equal(postgres.Database.IsNpgsql(), postgres.Database.OnPostgres());
        Assert.Equal(sqlite.Database.IsNpgsql(), sqlite.Database.OnPostgres());
    }

    [Fact]
    public async Task A_new_row_whose_client_generated_key_is_unset_is_refused_by_name_and_an_unset_database_key_is_not()
    {
        var (services, id) = await ReportAsync(Profile.Embedded);
        await using var _ = services;
        var (refused, journal) = await services.In<IServiceProvider, (InvalidOperationException, NewRow)>(scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            // EF Core's Add would make a task's Guid key; a handed-over row must come with it.
            var unset = NewTask(id);
            unset.Id = Guid.Empty;
            var refusal = Assert.Throws<InvalidOperationException>(() => NewRow.Of(db, unset));
            // The journal's integer key is the database's to generate.
            return Task.FromResult((refusal, NewRow.Of(db, new JournalEntry
            {
                ReportId = id, Seq = 1, At = DateTime.UtcNow, ActorId = "test", Actor = "test", Action = "submit", FromStatus = "draft",
                ToStatus = "submitted", PreviousHash = new string('0', 64), Hash = new string('1', 64),
            })));
        });

        Assert.Contains("WorkTask.Id", refused.Message, StringComparison.Ordinal);
        Assert.NotNull(journal);
    }

    [Fact]
    public async Task A_type_wider_than_a_shape_holds_is_refused_by_name_and_nothing_of_the_write_commits()
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync();
        await using var db = new WideContext(new DbContextOptionsBuilder<WideContext>().UseSqlite(connection).Options);
        await db.Database.EnsureCreatedAsync();
        var row = new Dictionary<string, object> { ["Id"] = 1 };
        for (var i = 0; i < ChangeBatch.MaxProperties; i++)
        {
            row["C" + i] = i;
        }

        db.Set<Dictionary<string, object>>(WideContext.Name).Add(row);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => ChangeBatch.SaveAsync(db, CancellationToken.None));

        Assert.Contains(WideContext.Name, refused.Message, StringComparison.Ordinal);
        Assert.Contains($"has {ChangeBatch.MaxProperties + 1}", refused.Message, StringComparison.Ordinal);
        db.ChangeTracker.Clear();
        Assert.Equal(0, await db.Set<Dictionary<string, object>>(WideContext.Name).CountAsync());
    }

    /// <summary>One table of a key and <see cref="ChangeBatch.MaxProperties"/> columns more: one property too many for a shape.</summary>
    private sealed class WideContext(DbContextOptions<WideContext> options) : DbContext(options)
    {
        public const string Name = "Wide";

        protected override void OnModelCreating(ModelBuilder modelBuilder) =>
            modelBuilder.SharedTypeEntity<Dictionary<string, object>>(Name, wide =>
            {
                wide.IndexerProperty<int>("Id");
                for (var i = 0; i < ChangeBatch.MaxProperties; i++)
                {
                    wide.IndexerProperty<int>("C" + i);
                }

                wide.HasKey("Id");
            });
    }

    private static Task<int> ChangeAsync(WorkflowServices services, Guid id, Action<ProgressReport> change) =>
        services.In<IServiceProvider, int>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            change(await db.ProgressReports.SingleAsync(r => r.Id == id));
            await ChangeBatch.SaveAsync(db, CancellationToken.None);
            return 0;
        });

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task A_constraint_violation_is_an_update_failure_and_writes_nothing(Profile profile)
    {
        var (services, id) = await ReportAsync(profile);
        await using var _ = services;
        await RecordedAsync(services, "key-1");
        var before = await CountsAsync(services, id);

        var failure = await services.In<IServiceProvider, DbUpdateException>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            var report = await db.ProgressReports.SingleAsync(r => r.Id == id);
            report.Version++;
            Added(scope.GetRequiredService<Outbox>(), id, 2);
            db.IdempotencyRecords.Add(Record("key-1"));
            return await Assert.ThrowsAsync<DbUpdateException>(() => ChangeBatch.SaveAsync(db, CancellationToken.None));
        });

        Assert.IsNotType<DbUpdateConcurrencyException>(failure);
        Assert.Equal(before, await CountsAsync(services, id));
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task A_failed_save_is_forgotten_so_the_context_s_next_commit_does_not_wake_the_dispatcher(Profile profile)
    {
        // The commit watchers track a context from SavingChanges on; a SaveChanges that failed must not leave it
        // tracked, or the next transaction the (pooled) context commits reports outbox rows that never were.
        var (services, _) = await ReportAsync(profile);
        await using var __ = services;
        await RecordedAsync(services, "key-1");
        var signal = await Drained(services);

        var woken = await services.In<IServiceProvider, bool>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            Added(scope.GetRequiredService<Outbox>(), Guid.CreateVersion7(), 1);
            db.IdempotencyRecords.Add(Record("key-1"));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();
            await using (var transaction = await db.Database.BeginTransactionAsync())
            {
                await transaction.CommitAsync();
            }

            return await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None);
        });

        Assert.False(woken);
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task Inside_an_open_transaction_it_commits_with_it_and_not_before(Profile profile)
    {
        var (services, id) = await ReportAsync(profile);
        await using var _ = services;
        var before = await CountsAsync(services, id);
        var signal = await Drained(services);

        foreach (var commit in new[] { false, true })
        {
            await services.In<IServiceProvider, int>(async scope =>
            {
                var db = scope.GetRequiredService<ReformDbContext>();
                await using var transaction = await db.Database.BeginTransactionAsync();
                Added(scope.GetRequiredService<Outbox>(), id, 2);
                await ChangeBatch.SaveAsync(db, CancellationToken.None);
                Assert.False(await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
                if (commit)
                {
                    await transaction.CommitAsync();
                }
                else
                {
                    await transaction.RollbackAsync();
                }

                return 0;
            });

            Assert.Equal(commit, await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None));
            Assert.Equal(before with { Events = before.Events + (commit ? 2 : 0) }, await CountsAsync(services, id));
        }
    }

    private sealed record Counts(int Version, string Status, int Tasks, int Events, int Records);

    private static Task<Counts> CountsAsync(WorkflowServices services, Guid id) => services.Db(async db => new Counts(
        await db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync(),
        await db.ProgressReports.Where(r => r.Id == id).Select(r => r.Status).SingleAsync(),
        await db.WorkTasks.CountAsync(t => t.ReportId == id),
        await db.OutboxMessages.CountAsync(m => m.StreamId == id.ToString("N")),
        await db.IdempotencyRecords.CountAsync()));

    private static List<Guid> Added(Outbox outbox, Guid reportId, int count) =>
        Enumerable.Range(0, count).Select(i => outbox.Add(new ReportCommented
        {
            ReportId = reportId, MeasureCode = "M", FiscalYear = 2025, StepId = $"step-{i}", Author = "test", At = DateTime.UtcNow,
        }, reportId.ToString("N")).MessageId).ToList();

    /// <summary>Outbox rows not added to the unit of work, to hand to the write (NewRow).</summary>
    private static List<OutboxMessage> Created(Outbox outbox, Guid reportId, int count) =>
        Enumerable.Range(0, count).Select(i => outbox.Create(new ReportCommented
        {
            ReportId = reportId, MeasureCode = "M", FiscalYear = 2025, StepId = $"handed-{i}", Author = "test", At = DateTime.UtcNow,
        }, reportId.ToString("N"))).ToList();

    private static WorkTask NewTask(Guid reportId) => new()
    {
        Id = Guid.NewGuid(), ReportId = reportId, StepId = "chief", Kind = WorkTaskKind.Action, AssigneeRole = AomoriReform.Workflows.Organisation.Role.SectionChief,
        AssigneeSectionCode = "gyosei-keiei", State = WorkTaskState.Open, DueDate = new DateOnly(2026, 6, 1), CreatedAt = DateTime.UtcNow,
    };

    /// <summary>An idempotency record stored under <paramref name="key"/>, for a later write of the same key to violate.</summary>
    private static Task<int> RecordedAsync(WorkflowServices services, string key) => services.Db(db =>
    {
        db.IdempotencyRecords.Add(Record(key));
        return db.SaveChangesAsync();
    });

    private static IdempotencyRecord Record(string key) => new()
    {
        UserId = "someone", Key = key, RequestHash = new string('0', 64), StatusCode = 200, Response = "{}", CreatedAt = DateTime.UtcNow,
    };

    /// <summary>The dispatcher's wake-up signal, with the wake-ups of the set-up taken.</summary>
    private static async Task<OutboxSignal> Drained(WorkflowServices services)
    {
        var signal = await services.In<OutboxSignal, OutboxSignal>(Task.FromResult);
        await signal.WaitAsync(TimeSpan.Zero, CancellationToken.None);
        return signal;
    }

    private static async Task<(WorkflowServices Services, Guid Id)> ReportAsync(Profile profile)
    {
        var services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync();
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
        var id = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        return (services, id);
    }
}
