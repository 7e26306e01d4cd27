using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// Whose inbox a task is in: the candidate group of its role within a section, a department or HQ
/// (or a section of a department), looked up by the key the database computes from those columns.
/// Every shape of group, a deputy's principal's groups, and the near misses that must stay out.
/// </summary>
public abstract class InboxGroupsTests(Profile profile) : IAsyncLifetime
{
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync();
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task Each_group_shape_reaches_its_members_and_their_deputies_and_no_one_else()
    {
        var report = await services.Db(db => db.ProgressReports.OrderBy(r => r.MeasureCode).FirstAsync());
        var (s, d) = (report.SectionCode, report.DepartmentCode);
        var tasks = new Dictionary<string, (Role Role, string? Section, string? Department)>
        {
            ["department"] = (Role.DepartmentHead, null, d),
            ["other department"] = (Role.DepartmentHead, null, "other-department"),
            ["hq"] = (Role.HqReviewer, null, null),
            ["section"] = (Role.SectionChief, s, null),
            ["other section"] = (Role.SectionChief, "other-section", null),
            ["section of department"] = (Role.SectionChief, s, d),
            ["section of other department"] = (Role.SectionChief, s, "other-department"),
        };
        var ids = tasks.ToDictionary(t => t.Key, _ => Guid.NewGuid());
        await services.Db(async db =>
        {
            foreach (var (name, group) in tasks)
            {
                db.WorkTasks.Add(new WorkTask
                {
                    Id = ids[name], ReportId = report.Id, StepId = "section-approval", Kind = WorkTaskKind.Action, AssigneeRole = group.Role,
                    AssigneeSectionCode = group.Section, AssigneeDepartmentCode = group.Department, State = WorkTaskState.Open,
                    DueDate = new DateOnly(2026, 5, 29), CreatedAt = services.Time.GetUtcNow().UtcDateTime,
                });
            }

            return await db.SaveChangesAsync();
        });

        var chief = new Caller("chief", "課長", Role.SectionChief, s, d, []);
        var head = new Caller("head", "部長", Role.DepartmentHead, null, d, []);
        var hq = new Caller("hq", "本部", Role.HqReviewer, null, null, []);
        // Chief of another section of another department, deputy (代理) for this section's chief today.
        var deputy = new Caller("deputy", "課長補佐", Role.SectionChief, "other-section", "other-department", [chief]);

        Assert.Equal(["section", "section of department"], await Mine(chief));
        Assert.Equal(["department"], await Mine(head));
        Assert.Equal(["hq"], await Mine(hq));
        Assert.Equal(["other section", "section", "section of department"], await Mine(deputy));
        var owners = (await Inbox(deputy)).Items.Where(i => i.TaskId == ids["section"] || i.TaskId == ids["other section"]).OrderBy(i => i.TaskId == ids["section"]).Select(i => i.OnBehalfOf);
        Assert.Equal([null, "課長"], owners);

        // The database's key is made of the columns, an absent part empty.
        var keys = await services.Db(db => db.WorkTasks.Where(t => ids.Values.Contains(t.Id))
            .Select(t => new { t.Id, Key = EF.Property<string>(t, AssigneeKeys.Property) }).ToDictionaryAsync(t => t.Id, t => t.Key));
        Assert.Equal("HqReviewer::", keys[ids["hq"]]);
        Assert.Equal($"DepartmentHead::{d}", keys[ids["department"]]);
        Assert.Equal($"SectionChief:{s}:{d}", keys[ids["section of department"]]);
        Assert.Equal(AssigneeKeys.Of(Role.SectionChief, s, null), keys[ids["section"]]);

        async Task<List<string>> Mine(Caller caller)
        {
            var inbox = await Inbox(caller);
            Assert.Equal(inbox.Items.Count, inbox.Total);
            return [.. ids.Where(i => inbox.Items.Any(item => item.TaskId == i.Value)).Select(i => i.Key).Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// The inbox's count takes a short way when no filter reads the report (a 後閲 or a staff task is
    /// counted without its report): it must still equal the tasks the inbox lists, with and without the
    /// overdue filter, where the caller submitted one of the reports themselves and where a report has
    /// no submitter yet.
    /// </summary>
    [Fact]
    public async Task The_count_is_the_number_of_tasks_listed_whatever_decides_them()
    {
        var reports = await services.Db(db => db.ProgressReports.OrderBy(r => r.MeasureCode).Take(4).ToListAsync());
        var (s, d) = (reports[0].SectionCode, reports[0].DepartmentCode);
        var chief = new Caller("chief-1", "課長", Role.SectionChief, s, d, []);
        var staff = new Caller("staff-1", "担当", Role.Staff, s, d, []);
        var overdue = new DateOnly(2026, 4, 1);
        var later = new DateOnly(2026, 5, 29);
        await services.Db(async db =>
        {
            // The chief submitted the first report, someone else the second; the third has no submitter.
            foreach (var (report, by) in reports.Take(3).Zip(new string?[] { chief.UserId, "someone-else", null }))
            {
                db.ProgressReports.Attach(report);
                report.SubmittedBy = by;
            }

            void Add(ProgressReport report, WorkTaskKind kind, Role role, string? section, string? user, DateOnly due) => db.WorkTasks.Add(new WorkTask
            {
                Id = Guid.NewGuid(), ReportId = report.Id, StepId = "section-approval", Kind = kind, AssigneeRole = role,
                AssigneeSectionCode = section, AssigneeUserId = user, State = WorkTaskState.Open, DueDate = due,
                CreatedAt = services.Time.GetUtcNow().UtcDateTime,
            });

            Add(reports[0], WorkTaskKind.Action, Role.SectionChief, s, null, overdue);      // the chief's own submission: not theirs
            Add(reports[1], WorkTaskKind.Action, Role.SectionChief, s, null, overdue);      // theirs, overdue
            Add(reports[2], WorkTaskKind.Action, Role.SectionChief, s, null, later);        // theirs, no submitter yet
            Add(reports[0], WorkTaskKind.PostReview, Role.SectionChief, s, chief.UserId, later); // a 後閲 is theirs whoever submitted
            Add(reports[3], WorkTaskKind.Action, Role.Staff, s, null, overdue);             // a staff task, overdue
            return await db.SaveChangesAsync();
        });

        foreach (var caller in new[] { chief, staff })
        {
            foreach (var filter in new[] { InboxFilter.None, new InboxFilter(null, null, null, true), new InboxFilter(null, null, null, false) })
            {
                var inbox = await services.In<ReportQueries, Page<InboxItem>>(q => q.InboxAsync(caller, filter, new Paging(1, 200), CancellationToken.None));
                Assert.True(inbox.Items.Count < 200, "the page holds every task");
                Assert.Equal(inbox.Items.Count, inbox.Total);
            }

            var all = await services.In<ReportQueries, Page<InboxItem>>(q => q.InboxAsync(caller, InboxFilter.None, new Paging(1, 200), CancellationToken.None));
            Assert.Equal(all.Total, await services.In<ReportQueries, int>(q => q.CountInboxAsync(caller, CancellationToken.None)));
        }

        var chiefs = await services.In<ReportQueries, Page<InboxItem>>(q => q.InboxAsync(chief, InboxFilter.None, new Paging(1, 200), CancellationToken.None));
        Assert.Equal(3, chiefs.Total);
        Assert.DoesNotContain(chiefs.Items, i => i.ReportId == reports[0].Id && i.Kind == "action");
        Assert.Contains(chiefs.Items, i => i.ReportId == reports[0].Id && i.Kind == "postReview");
        var overdueOnly = await services.In<ReportQueries, Page<InboxItem>>(q => q.InboxAsync(chief, new InboxFilter(null, null, null, true), new Paging(1, 200), CancellationToken.None));
        Assert.Equal([reports[1].Id], overdueOnly.Items.Select(i => i.ReportId));
        Assert.Equal(1, overdueOnly.Total);
    }

    private Task<Page<InboxItem>> Inbox(Caller caller) =>
        services.In<ReportQueries, Page<InboxItem>>(q => q.InboxAsync(caller, InboxFilter.None, new Paging(1, 100), CancellationToken.None));
}

public sealed class InboxGroupsTests_Embedded() : InboxGroupsTests(Profile.Embedded);

public sealed class InboxGroupsTests_Production() : InboxGroupsTests(Profile.Production);
