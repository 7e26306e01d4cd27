using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// The hand-written read of a report and its open tasks (<see cref="ReportRows"/>) must give what EF Core's
/// query gives, column for column, on both profiles: a column it missed or read with the wrong conversion
/// would show wrongly on every page and be checked wrongly by every action.
/// </summary>
public sealed class ReportRowsTests
{
    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task The_report_and_its_open_tasks_read_by_hand_equal_what_EF_Core_reads_in_every_column(Profile profile)
    {
        await using var services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        var id = await services.OpenSampleReportAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,行政経営管理課長 三郎,gyosei-keiei,SectionChief\r\n");
        var staff = await services.CallerAsync("staff@pref.example.jp");
        var chief = await services.CallerAsync("chief@pref.example.jp");
        var content = new ReportContent(Progress.Delayed, "実績「改」\n二行目", "次の取組", []);
        var saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, 1, content, staff, null, CancellationToken.None)).OkAsync();
        await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, ReportAction.Submit, saved.Version, null, staff, null, CancellationToken.None)).OkAsync();
        var model = await services.Db(db => Task.FromResult(db.Model));

        // Every nullable column of the report given a value, and a 後閲 of the chief's beside the open action task.
        var now = services.Time.GetUtcNow().UtcDateTime;
        await services.Db(async db =>
        {
            var report = await db.ProgressReports.SingleAsync(r => r.Id == id);
            report.ReturnedRound = 1;
            report.ConsultRequired = 2;
            report.ApprovalClass = "専決";
            report.RouteRule = "rule-1";
            report.RetentionClass = "10y";
            report.RetentionUntil = new DateOnly(2037, 3, 31);
            report.DisposedAt = now.AddMinutes(-3);
            report.Disposition = "kept";
            report.AcceptedAt = now.AddMinutes(-7);
            report.LastOnBehalfOfId = chief.UserId;
            db.WorkTasks.Add(new WorkTask
            {
                Id = Guid.CreateVersion7(), ReportId = id, StepId = "chief", Kind = WorkTaskKind.PostReview, AssigneeRole = chief.Role,
                AssigneeUserId = chief.UserId, JournalSeq = 2, AssigneeSectionCode = "gyosei-keiei", State = WorkTaskState.Open,
                DueDate = new DateOnly(2026, 6, 1), CreatedAt = now, CompletedAt = now.AddSeconds(1), CompletedBy = "nobody",
            });
            return await db.SaveChangesAsync();
        });

        var expected = await services.Db(async db => (
            await db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id),
            await db.Measures.Where(m => m.Id == db.ProgressReports.Single(r => r.Id == id).MeasureId).Select(m => m.Title).SingleAsync(),
            await db.WorkTasks.AsNoTracking().Where(t => t.ReportId == id && t.State == WorkTaskState.Open && t.Kind == WorkTaskKind.Action).OrderBy(t => t.Id).ToListAsync(),
            await db.WorkTasks.AsNoTracking().Where(t => t.ReportId == id && t.State == WorkTaskState.Open && t.Kind == WorkTaskKind.PostReview).Select(t => t.Id).ToListAsync()));
        Assert.NotEmpty(expected.Item3);
        Assert.Single(expected.Item4);

        foreach (var tracking in new[] { false, true })
        {
            var (read, tracked) = await services.Db(async db =>
            {
                Assert.True(ReportRows.Serves(db, tracking));
                var loaded = await ReportRows.ReadAsync(db, id, chief.UserId, tracking, CancellationToken.None);
                var states = db.ChangeTracker.Entries().Select(e => e.State).ToList();
                return (loaded, states);
            });

            Assert.NotNull(read);
            AssertEqualInEveryColumn(model, expected.Item1, read.Report);
            Assert.Equal(expected.Item2, read.Title);
            Assert.Equal(expected.Item3.Count, read.OpenTasks.Count);
            foreach (var (a, b) in expected.Item3.Zip(read.OpenTasks))
            {
                AssertEqualInEveryColumn(model, a, b);
            }

            Assert.Equal(expected.Item4, read.PostReviews);
            // Tracked: the report and its open action tasks, unchanged, so that a write finds only what the action changed.
            Assert.Equal(tracking ? Enumerable.Repeat(EntityState.Unchanged, 1 + expected.Item3.Count) : [], tracked);
        }

        // Someone else's 後閲 is not the caller's; an unknown report is null.
        var asStaff = await services.Db(db => ReportRows.ReadAsync(db, id, staff.UserId, false, CancellationToken.None));
        Assert.Empty(asStaff!.PostReviews);
        Assert.Null(await services.Db(db => ReportRows.ReadAsync(db, Guid.NewGuid(), staff.UserId, false, CancellationToken.None)));
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task A_context_that_already_tracks_rows_loads_through_EF_Core_and_gets_the_tracked_instance(Profile profile)
    {
        await using var services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        var id = await services.OpenSampleReportAsync("user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n");
        var staff = await services.CallerAsync("staff@pref.example.jp");

        var same = await services.In<IServiceProvider, bool>(async provider =>
        {
            var db = provider.GetRequiredService<ReformDbContext>();
            var workflow = provider.GetRequiredService<ReportWorkflow>();
            var tracked = await db.ProgressReports.SingleAsync(r => r.Id == id);
            Assert.False(ReportRows.Serves(db, tracking: true));
            Assert.True(ReportRows.Serves(db, tracking: false));
            var loaded = await workflow.LoadAsync(id, staff, tracking: true, CancellationToken.None);
            return ReferenceEquals(tracked, loaded!.Value.Report);
        });
        Assert.True(same);
    }

    private static void AssertEqualInEveryColumn<T>(IModel model, T expected, T actual)
        where T : class
    {
        var type = model.FindEntityType(typeof(T))!;
        foreach (var property in type.GetProperties().Where(p => !p.IsShadowProperty()))
        {
            var (a, b) = (property.GetGetter().GetClrValue(expected), property.GetGetter().GetClrValue(actual));
            Assert.True(property.GetValueComparer().Equals(a, b), $"{typeof(T).Name}.{property.Name}: expected {a}, read {b}");
            if (a is DateTime at && b is DateTime bt)
            {
                Assert.Equal(at.Kind, bt.Kind);
            }
        }
    }
}
