using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// 人事異動: tasks belong to a role in a section, never to a person, so a transfer moves nobody's
/// work. The organisation import moves the chief in the middle of a route; the new chief finds the
/// task and decides it; the history keeps the former chief's decision under their name and the
/// section they were in when they took it.
/// </summary>
public abstract class PersonnelMoveTests(Profile profile) : IAsyncLifetime
{
    private const string Before =
        "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
        "user,chief.a@pref.example.jp,課長 青木,gyosei-keiei,SectionChief\r\n" +
        "user,chief.b@pref.example.jp,課長 坂本,jinji,SectionChief\r\n" +
        "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n";

    // 1 April: the two chiefs change places.
    private const string After =
        "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
        "user,chief.a@pref.example.jp,課長 青木,jinji,SectionChief\r\n" +
        "user,chief.b@pref.example.jp,課長 坂本,gyosei-keiei,SectionChief\r\n" +
        "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n";

    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 3, 25, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync(Before);
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private Task<Outcome<ReportView>> Act(Guid id, string who, ReportAction action, int version) =>
        services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.ActAsync(id, action, version, null, await As(who), null, CancellationToken.None));

    [Fact]
    public async Task A_transfer_mid_route_moves_the_task_to_the_new_chief_and_the_history_keeps_the_former_chief_where_they_were()
    {
        var ids = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).Take(2).ToListAsync());
        var (decided, waiting) = (ids[0], ids[1]);
        await Act(decided, "staff", ReportAction.Submit, 1).OkAsync();
        await Act(decided, "chief.a", ReportAction.Approve, 2).OkAsync();
        await Act(waiting, "staff", ReportAction.Submit, 1).OkAsync();

        services.Time.SetUtcNow(new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync(After);

        // The former chief no longer has the task, nor sees the section's reports; the new one has it and decides it.
        var formerInbox = await services.In<ReportQueries, Page<InboxItem>>(async q => await q.InboxAsync(await As("chief.a"), InboxFilter.None, new Paging(1, 100), CancellationToken.None));
        Assert.DoesNotContain(formerInbox.Items, i => i.ReportId == waiting);
        Assert.Equal(OutcomeKind.NotFound, (await Act(waiting, "chief.a", ReportAction.Approve, 2)).Kind);
        var newInbox = await services.In<ReportQueries, Page<InboxItem>>(async q => await q.InboxAsync(await As("chief.b"), InboxFilter.None, new Paging(1, 100), CancellationToken.None));
        Assert.Contains(newInbox.Items, i => i.ReportId == waiting);
        var approved = await Act(waiting, "chief.b", ReportAction.Approve, 2).OkAsync();
        Assert.Equal("SectionApproved", approved.Status);

        var history = await services.In<ReportQueries, Outcome<IReadOnlyList<HistoryEntry>>>(async q => await q.HistoryAsync(decided, await As("hq"), CancellationToken.None)).OkAsync();
        var approval = Assert.Single(history, h => h.Action == "approve");
        Assert.Equal(("課長 青木", "SectionChief", "gyosei-keiei"), (approval.Actor, approval.ActorRole, approval.ActorSection));
        var newApproval = (await services.In<ReportQueries, Outcome<IReadOnlyList<HistoryEntry>>>(async q => await q.HistoryAsync(waiting, await As("hq"), CancellationToken.None)).OkAsync()).Single(h => h.Action == "approve");
        Assert.Equal(("課長 坂本", "gyosei-keiei"), (newApproval.Actor, newApproval.ActorSection));
    }
}

public sealed class PersonnelMoveTests_Embedded() : PersonnelMoveTests(Profile.Embedded);

public sealed class PersonnelMoveTests_Production() : PersonnelMoveTests(Profile.Production);
