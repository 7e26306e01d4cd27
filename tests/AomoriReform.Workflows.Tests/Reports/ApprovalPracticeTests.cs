using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// The engine's rules as the application services answer them, below HTTP: the contract the API
/// and the web UI share. Japanese approval practice: 引戻し from any step, 差戻し to a chosen step,
/// 代決 with 後閲, 合議 of the measure's sections with a quorum, 意見 without an action, what
/// changed since a return, and 一括承認.
/// </summary>
public abstract class ApprovalPracticeTests(Profile profile) : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";
    private WorkflowServices services = null!;

    public async Task InitializeAsync() => services = await StartAsync();

    private async Task<WorkflowServices> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var started = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero), settings);
        await started.ImportSamplesAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,assistant@pref.example.jp,課長補佐 花子,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,行政経営管理課長 三郎,gyosei-keiei,SectionChief\r\n" +
            "user,jinji.chief@pref.example.jp,人事課長 四郎,jinji,SectionChief\r\n" +
            "user,head@pref.example.jp,総務部長 五郎,somu,DepartmentHead\r\n" +
            "user,kaikei.staff@pref.example.jp,会計担当 六郎,kaikei-kanri,Staff\r\n" +
            "user,kaikei.chief@pref.example.jp,会計管理課長 七郎,kaikei-kanri,SectionChief\r\n" +
            "user,zaisei.chief@pref.example.jp,財政課長 八郎,zaisei,SectionChief\r\n" +
            "user,digital.chief@pref.example.jp,デジタル戦略課長 九郎,digital-senryaku,SectionChief\r\n" +
            "user,kanri.staff@pref.example.jp,管理担当 十一郎,kanri,Staff\r\n" +
            "user,kanri.chief@pref.example.jp,管理課長 十二郎,kanri,SectionChief\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n");
        await started.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
        return started;
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private async Task<Caller> As(string local, WorkflowServices? on = null)
    {
        on ??= services;
        var id = await on.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await on.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private Task<Guid> Report(string measureCode) =>
        services.Db(db => db.ProgressReports.Where(r => r.MeasureCode == measureCode && r.FiscalYear == 2025).Select(r => r.Id).SingleAsync());

    /// <summary>A report of the section on the standard route (drafter, chief, HQ).</summary>
    private Task<Guid> StandardReport(int index = 0) =>
        services.Db(db => db.ProgressReports.Where(r => r.SectionCode == Section && r.RouteName == "progress-report" && r.FiscalYear == 2025)
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).Skip(index).FirstAsync());

    private Task<Outcome<ReportView>> Act(Guid id, string who, ReportAction action, int version, string? comment = null, string? toStep = null, string? key = null) =>
        ActAs(id, who, new ReportActionRequest(action, version, comment, toStep), key);

    private async Task<Outcome<ReportView>> ActAs(Guid id, string who, ReportActionRequest request, string? key = null)
    {
        var caller = await As(who);
        return await services.In<ReportWorkflow, Outcome<ReportView>>(workflow => workflow.ActAsync(id, request, caller, key, CancellationToken.None));
    }

    private async Task<ReportView> Submitted(Guid id, string drafter = "staff", ReportContent? content = null, WorkflowServices? on = null)
    {
        on ??= services;
        var caller = await As(drafter, on);
        await on.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, 1, content ?? Content("当初の実績"), caller, null, CancellationToken.None)).OkAsync();
        return await on.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, new ReportActionRequest(ReportAction.Submit, 2), caller, null, CancellationToken.None)).OkAsync();
    }

    /// <summary>The report's events as the outbox holds them, in commit order.</summary>
    private static Task<List<object>> Events(WorkflowServices on, Guid id) => on.Db(async db =>
        (await db.OutboxMessages.AsNoTracking().Where(m => m.StreamId == id.ToString("N")).OrderBy(m => m.Sequence).ToListAsync())
            .Select(m => System.Text.Json.JsonSerializer.Deserialize(m.Payload, ContractTypes.Resolve(m.MessageType), System.Text.Json.JsonSerializerOptions.Web)!)
            .ToList());

    private static ReportContent Content(string achievements, Progress progress = Progress.OnTrack) => new(progress, achievements, "次年度も継続する", []);

    private Task<List<JournalEntry>> Journal(Guid id) =>
        services.Db(db => db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync());

    private Task<List<WorkTask>> OpenTasks(Guid id) =>
        services.Db(db => db.WorkTasks.AsNoTracking().Where(t => t.ReportId == id && t.State == WorkTaskState.Open).ToListAsync());

    private async Task AssertJournalVerifies()
    {
        var verification = await services.In<JournalKeys, JournalVerification>(keys =>
            services.Db(db => AomoriReform.Workflows.Reports.Journal.VerifyAsync(db, keys, CancellationToken.None)));
        Assert.True(verification.Valid, verification.Problem);
    }

    [Fact]
    public async Task A_report_walks_the_standard_route_and_each_entry_names_its_step_and_the_actors_place()
    {
        var id = await StandardReport();
        var submitted = await Submitted(id);
        var approved = await Act(id, "chief", ReportAction.Approve, submitted.Version).OkAsync();
        var accepted = await Act(id, "hq", ReportAction.Accept, approved.Version).OkAsync();

        Assert.Equal(("Accepted", 5), (accepted.Status, accepted.Version));
        Assert.Equal(["done", "done", "done"], accepted.Steps.Select(s => s.State));
        Assert.Equal(["担当課の作成・提出", "課長決裁", "推進本部の審査・受理"], accepted.Steps.Select(s => s.Title));
        var journal = await Journal(id);
        Assert.Equal(["open", "submit", "approve", "accept"], journal.Select(e => e.Action));
        Assert.Equal(["draft", "draft", "section-approval", "hq-review"], journal.Select(e => e.StepId));
        Assert.Equal(("SectionChief", Section), (journal[2].ActorRole, journal[2].ActorSectionCode));
        Assert.Empty(await OpenTasks(id));
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task Whoever_acted_last_recalls_from_any_step_until_the_next_actor_acts()
    {
        var id = await StandardReport();
        var submitted = await Submitted(id);
        var approved = await Act(id, "chief", ReportAction.Approve, submitted.Version).OkAsync();
        Assert.Contains("recall", approved.PermittedActions);

        // The submitter acted before the chief and was followed (409); HQ never acted (403).
        Assert.Equal(OutcomeKind.Conflict, (await Act(id, "staff", ReportAction.Recall, approved.Version)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Act(id, "hq", ReportAction.Recall, approved.Version)).Kind);

        var recalled = await Act(id, "chief", ReportAction.Recall, approved.Version).OkAsync();
        Assert.Equal("Submitted", recalled.Status);
        var task = Assert.Single(await OpenTasks(id));
        Assert.Equal(("section-approval", WorkTaskKind.Action), (task.StepId, task.Kind));
        Assert.Contains("approve", recalled.PermittedActions);

        // The chief's decision was taken back, so they decide again; after HQ acts, nothing is recalled any more.
        var again = await Act(id, "chief", ReportAction.Approve, recalled.Version).OkAsync();
        var returned = await Act(id, "hq", ReportAction.Return, again.Version, "数値の根拠を添えてください", toStep: "section-approval").OkAsync();
        Assert.Equal(OutcomeKind.Conflict, (await Act(id, "chief", ReportAction.Recall, returned.Version)).Kind);
        Assert.Equal(["open", "submit", "approve", "recall", "approve", "return"], (await Journal(id)).Select(e => e.Action));
        var recallEvents = await services.Db(db => db.OutboxMessages.CountAsync(m => m.MessageType == typeof(ReportRecalled).FullName));
        Assert.Equal(1, recallEvents);
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task A_return_goes_to_the_step_the_approver_chooses_and_every_later_step_decides_again()
    {
        var id = await StandardReport();
        var submitted = await Submitted(id);
        var approved = await Act(id, "chief", ReportAction.Approve, submitted.Version).OkAsync();
        var asHq = await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.GetAsync(id, await As("hq"), CancellationToken.None)).OkAsync();
        Assert.Equal(["draft", "section-approval"], asHq.ReturnSteps);

        Assert.Equal("comment", (await Act(id, "hq", ReportAction.Return, approved.Version, toStep: "section-approval")).Failure!.Field);
        Assert.Equal("toStep", (await Act(id, "hq", ReportAction.Return, approved.Version, "理由", toStep: "hq-review")).Failure!.Field);
        Assert.Equal("toStep", (await Act(id, "hq", ReportAction.Return, approved.Version, "理由", toStep: "no-such-step")).Failure!.Field);
        Assert.Equal(approved.Version, (await services.Db(db => db.ProgressReports.SingleAsync(r => r.Id == id))).Version);

        var returned = await Act(id, "hq", ReportAction.Return, approved.Version, "指標の説明を補ってください", toStep: "section-approval").OkAsync();
        Assert.Equal("Submitted", returned.Status);
        Assert.Equal(["done", "current", "pending"], returned.Steps.Select(s => s.State));
        var reapproved = await Act(id, "chief", ReportAction.Approve, returned.Version, "補足しました").OkAsync();
        Assert.Equal("SectionApproved", reapproved.Status);

        // Returned to the drafter by default: a new round, and the approver then sees what changed.
        var toDrafter = await Act(id, "hq", ReportAction.Return, reapproved.Version, "進捗状況を見直してください").OkAsync();
        Assert.Equal("Returned", toDrafter.Status);
        var staff = await As("staff");
        var saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, toDrafter.Version, Content("見直した実績", Progress.Delayed), staff, null, CancellationToken.None)).OkAsync();
        await Act(id, "staff", ReportAction.Submit, saved.Version).OkAsync();
        var changes = await services.In<ReportChanges, Outcome<ReportChangesView>>(async c => await c.CompareAsync(id, await As("chief"), null, null, CancellationToken.None)).OkAsync();
        Assert.Equal((1, 2), (changes.From!.Round, changes.To!.Round));
        Assert.Equal(["progress", "achievements"], changes.Fields.Select(f => f.Field));
        Assert.Equal(("OnTrack", "Delayed"), (changes.Fields[0].Before, changes.Fields[0].After));
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task A_deputy_decides_for_the_absent_chief_and_the_chief_reviews_it_afterwards()
    {
        var chief = await As("chief");
        var today = DateOnly.FromDateTime(services.Time.GetUtcNow().UtcDateTime.AddHours(9));
        await services.In<DeputyAppointments, Outcome<DeputyView>>(d => d.AppointAsync(chief, new DeputyRequest("assistant@pref.example.jp", today, today.AddDays(6)), CancellationToken.None)).OkAsync();
        var id = await StandardReport();
        var submitted = await Submitted(id);

        var approved = await Act(id, "assistant", ReportAction.Approve, submitted.Version, "課長不在のため代決").OkAsync();
        Assert.False(approved.PostReviewOpen);
        Assert.True((await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.GetAsync(id, chief, CancellationToken.None)).OkAsync()).PostReviewOpen);

        var entry = (await Journal(id))[^1];
        Assert.Equal(("課長補佐 花子", "行政経営管理課長 三郎"), (entry.Actor, entry.OnBehalfOf));
        var inbox = await services.In<ReportQueries, Page<InboxItem>>(q => q.InboxAsync(chief, InboxFilter.None, new Paging(1, 100), CancellationToken.None));
        var review = Assert.Single(inbox.Items, i => i.Kind == "postReview");
        Assert.Equal(id, review.ReportId);
        var assistantInbox = await services.In<ReportQueries, Page<InboxItem>>(async q => await q.InboxAsync(await As("assistant"), InboxFilter.None, new Paging(1, 100), CancellationToken.None));
        Assert.DoesNotContain(assistantInbox.Items, i => i.Kind == "postReview");
        var open = await services.In<PostReviewQueries, Outcome<Page<PostReviewItem>>>(q => q.ListAsync(new PostReviewFilter(), new Paging(1, 50), CancellationToken.None)).OkAsync();
        Assert.Equal(("行政経営管理課長 三郎", "課長補佐 花子", "approve"), (open.Items.Single().Principal, open.Items.Single().Deputy, open.Items.Single().Action));

        // The report moved on meanwhile: the 後閲 does not hold it.
        Assert.Equal("SectionApproved", approved.Status);
        services.Time.Advance(TimeSpan.FromDays(10));
        var overdue = await services.In<PostReviewQueries, Outcome<Page<PostReviewItem>>>(q => q.ListAsync(new PostReviewFilter(Overdue: true), new Paging(1, 50), CancellationToken.None)).OkAsync();
        Assert.True(Assert.Single(overdue.Items).Overdue);

        Assert.Equal(OutcomeKind.Conflict, (await services.In<ReportNotes, Outcome<ReportView>>(async n => await n.PostReviewAsync(id, null, await As("assistant"), CancellationToken.None))).Kind);
        var reviewed = await services.In<ReportNotes, Outcome<ReportView>>(n => n.PostReviewAsync(id, "内容を確認しました", chief, CancellationToken.None)).OkAsync();
        Assert.Equal(approved.Version, reviewed.Version);
        Assert.False(reviewed.PostReviewOpen);
        var last = (await Journal(id))[^1];
        Assert.Equal(("postReview", "内容を確認しました", "行政経営管理課長 三郎"), (last.Action, last.Comment, last.Actor));
        Assert.Equal(OutcomeKind.Conflict, (await services.In<ReportNotes, Outcome<ReportView>>(n => n.PostReviewAsync(id, null, chief, CancellationToken.None))).Kind);
        var decisions = await services.In<ReportNotes, IReadOnlyList<DeputyDecisionView>>(n => n.DeputyDecisionsAsync(id, CancellationToken.None));
        Assert.True(Assert.Single(decisions).Reviewed);
        Assert.Equal(1, await services.Db(db => db.OutboxMessages.CountAsync(m => m.MessageType == typeof(ReportPostReviewed).FullName)));
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task The_principal_back_at_work_may_take_back_the_deputys_decision_and_then_nothing_waits_for_review()
    {
        var chief = await As("chief");
        var today = DateOnly.FromDateTime(services.Time.GetUtcNow().UtcDateTime.AddHours(9));
        await services.In<DeputyAppointments, Outcome<DeputyView>>(d => d.AppointAsync(chief, new DeputyRequest("assistant@pref.example.jp", today, today.AddDays(6)), CancellationToken.None)).OkAsync();
        var id = await StandardReport();
        var submitted = await Submitted(id);
        var approved = await Act(id, "assistant", ReportAction.Approve, submitted.Version, "代決").OkAsync();
        var asChief = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.GetAsync(id, chief, CancellationToken.None)).OkAsync();
        Assert.Contains("recall", asChief.PermittedActions);
        Assert.True(asChief.PostReviewOpen);

        var recalled = await Act(id, "chief", ReportAction.Recall, approved.Version).OkAsync();

        Assert.Equal("Submitted", recalled.Status);
        Assert.False(recalled.PostReviewOpen);
        Assert.Equal(WorkTaskState.Cancelled, (await services.Db(db => db.WorkTasks.AsNoTracking().SingleAsync(t => t.ReportId == id && t.Kind == WorkTaskKind.PostReview))).State);
        // Both the deputy's and the chief's decision at the step are taken back: the chief decides it now.
        var decided = await Act(id, "chief", ReportAction.Approve, recalled.Version, "確認のうえ決裁").OkAsync();
        Assert.Equal("SectionApproved", decided.Status);
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task A_comment_moves_nothing_and_only_the_current_steps_people_may_write_one()
    {
        var id = await StandardReport();
        var submitted = await Submitted(id);
        var chief = await As("chief");

        var comment = await services.In<ReportNotes, Outcome<CommentView>>(n => n.CommentAsync(id, "指標の出典を確認中です", chief, CancellationToken.None)).OkAsync();
        Assert.Equal(("section-approval", "行政経営管理課長 三郎"), (comment.Step, comment.Author));
        Assert.Equal(OutcomeKind.Forbidden, (await services.In<ReportNotes, Outcome<CommentView>>(async n => await n.CommentAsync(id, "担当から", await As("staff"), CancellationToken.None))).Kind);
        Assert.Equal(OutcomeKind.NotFound, (await services.In<ReportNotes, Outcome<CommentView>>(async n => await n.CommentAsync(id, "他課から", await As("kaikei.chief"), CancellationToken.None))).Kind);
        Assert.Equal("text", (await services.In<ReportNotes, Outcome<CommentView>>(n => n.CommentAsync(id, "  ", chief, CancellationToken.None))).Failure!.Field);
        Assert.Equal("text", (await services.In<ReportNotes, Outcome<CommentView>>(n => n.CommentAsync(id, "a\u0001b", chief, CancellationToken.None))).Failure!.Field);

        // The version is unchanged: whoever has the report open acts on it without reloading.
        var approved = await Act(id, "chief", ReportAction.Approve, submitted.Version).OkAsync();
        var accepted = await Act(id, "hq", ReportAction.Accept, approved.Version).OkAsync();
        Assert.Equal(OutcomeKind.Conflict, (await services.In<ReportNotes, Outcome<CommentView>>(async n => await n.CommentAsync(id, "受理後", await As("hq"), CancellationToken.None))).Kind);
        var comments = await services.In<ReportNotes, Outcome<IReadOnlyList<CommentView>>>(n => n.CommentsAsync(id, chief, CancellationToken.None)).OkAsync();
        Assert.Equal(["指標の出典を確認中です"], comments.Select(c => c.Text));
        Assert.Equal("Accepted", accepted.Status);
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task The_measures_sections_concur_a_quorum_moves_the_report_on_and_the_consulted_keep_reading_it()
    {
        // 2.2.2-01 asks zaisei, digital-senryaku and jinji; two of them must concur.
        var id = await Report("2.2.2-01");
        var submitted = await Submitted(id, "kaikei.staff");
        var approved = await Act(id, "kaikei.chief", ReportAction.Approve, submitted.Version).OkAsync();
        Assert.Equal("InConsultation", approved.Status);
        var consultation = approved.Steps.Single(s => s.Kind == StepKind.Consult);
        Assert.Equal((2, 3), (consultation.Required!.Value, consultation.Sections!.Count));
        Assert.Equal(["digital-senryaku", "jinji", "zaisei"], (await OpenTasks(id)).Select(t => t.AssigneeSectionCode).Order());

        var first = await Act(id, "zaisei.chief", ReportAction.Concur, approved.Version).OkAsync();
        Assert.Equal("InConsultation", first.Status);
        var second = await Act(id, "digital.chief", ReportAction.Concur, first.Version).OkAsync();
        Assert.Equal("SectionApproved", second.Status);
        Assert.Equal("hq-review", Assert.Single(await OpenTasks(id)).StepId);
        var jinjiTask = await services.Db(db => db.WorkTasks.AsNoTracking().SingleAsync(t => t.ReportId == id && t.AssigneeSectionCode == "jinji"));
        Assert.Equal(WorkTaskState.Cancelled, jinjiTask.State);

        // Consulted sections keep read access, the one that was not needed too; they act no more.
        var jinji = await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.GetAsync(id, await As("jinji.chief"), CancellationToken.None)).OkAsync();
        Assert.Empty(jinji.PermittedActions);
        var list = await services.In<ReportQueries, Page<ReportSummary>>(async q => await q.ListAsync(await As("zaisei.chief"), new ReportFilter(2025), new Paging(1, 200), CancellationToken.None));
        Assert.Contains(list.Items, r => r.Id == id);
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task Each_report_event_carries_the_tasks_its_action_opened_and_no_task_event_goes_out_beside_it()
    {
        var id = await Report("2.2.2-01");
        var submitted = await Submitted(id, "kaikei.staff");
        var approved = await Act(id, "kaikei.chief", ReportAction.Approve, submitted.Version).OkAsync();
        var first = await Act(id, "zaisei.chief", ReportAction.Concur, approved.Version).OkAsync();
        await Act(id, "digital.chief", ReportAction.Concur, first.Version).OkAsync();

        var events = (await Events(services, id)).Cast<ReportEvent>().ToList();
        Assert.Equal([typeof(ReportOpened), typeof(ReportSubmitted), typeof(ReportApproved), typeof(ReportConcurred), typeof(ReportConcurred)], events.Select(e => e.GetType()));
        // The draft, the chief's approval, one task per consulted section, none while the quorum is short, then HQ's review.
        Assert.Equal([1, 1, 3, 0, 1], events.Select(e => e.OpenedTasks.Count));
        Assert.Equal(["Staff", "SectionChief", "SectionChief", "SectionChief", "SectionChief", "HqReviewer"], events.SelectMany(e => e.OpenedTasks).Select(t => t.AssigneeRole));
        Assert.Equal(["digital-senryaku", "jinji", "zaisei"], events[2].OpenedTasks.Select(t => t.AssigneeSectionCode).Order());
        var tasks = await services.Db(db => db.WorkTasks.AsNoTracking().Where(t => t.ReportId == id && t.Kind == WorkTaskKind.Action).ToListAsync());
        Assert.Equal(
            tasks.Select(t => (t.Id, t.StepId, t.AssigneeRole.ToString(), t.AssigneeSectionCode, t.AssigneeDepartmentCode, t.DueDate)).Order(),
            events.SelectMany(e => e.OpenedTasks).Select(t => (t.TaskId, t.StepId, t.AssigneeRole, t.AssigneeSectionCode, t.AssigneeDepartmentCode, t.DueDate)).Order());
        Assert.Equal(0, await services.Db(db => db.OutboxMessages.CountAsync(m => m.MessageType == typeof(TaskAssigned).FullName)));
    }

    [Fact]
    public async Task Switched_back_on_the_retired_task_event_follows_each_report_event_for_every_task_it_opened()
    {
        await using var legacy = await StartAsync(new Dictionary<string, string?> { ["Reports:PublishTaskAssigned"] = "true" });
        var id = await legacy.Db(db => db.ProgressReports.Where(r => r.MeasureCode == "2.2.2-01").Select(r => r.Id).SingleAsync());
        await Submitted(id, "kaikei.staff", on: legacy);

        var events = await Events(legacy, id);
        Assert.Equal([typeof(ReportOpened), typeof(TaskAssigned), typeof(ReportSubmitted), typeof(TaskAssigned)], events.Select(e => e.GetType()));
        foreach (var (reportEvent, taskEvent) in new[] { ((ReportEvent)events[0], (TaskAssigned)events[1]), ((ReportEvent)events[2], (TaskAssigned)events[3]) })
        {
            var opened = Assert.Single(reportEvent.OpenedTasks);
            Assert.Equal(
                (opened.TaskId, opened.StepId, opened.AssigneeRole, opened.AssigneeSectionCode, opened.DueDate, reportEvent.At),
                (taskEvent.TaskId, taskEvent.StepId, taskEvent.AssigneeRole, taskEvent.AssigneeSectionCode, taskEvent.DueDate, taskEvent.At));
        }
    }

    [Fact]
    public async Task A_consultation_with_nobody_to_ask_is_skipped()
    {
        await services.Db(db => db.ProgressReports.Where(r => r.MeasureCode == "2.1.3-01").ExecuteUpdateAsync(s => s.SetProperty(r => r.ConsultSections, string.Empty)));
        var id = await Report("2.1.3-01");

        var submitted = await Submitted(id, "kanri.staff");
        var approved = await Act(id, "kanri.chief", ReportAction.Approve, submitted.Version).OkAsync();

        Assert.Equal("SectionApproved", approved.Status);
        Assert.Equal(["done", "done", "skipped", "current"], approved.Steps.Select(s => s.State));
    }

    [Fact]
    public async Task A_chief_approves_many_reports_at_once_each_with_its_own_outcome_and_entry()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await StandardReport(i));
            await Submitted(ids[^1]);
        }

        var other = await Report("2.2.2-01");
        var chief = await As("chief");
        // The second item is stale (version 2 is the saved draft, submitted since), the third of another section.
        BulkItem[] items = [new(ids[0], 3), new(ids[1], 2), new(other, 1), new(ids[2], 3)];
        var response = await services.In<BulkActions, Outcome<BulkResponse>>(b => b.RunAsync(ReportAction.Approve, items, "一括承認", chief, "bulk-1", CancellationToken.None)).OkAsync();

        Assert.Equal(["done", "conflict", "notFound", "done"], response.Results.Select(r => r.Outcome));
        Assert.Equal([ids[0], ids[1], other, ids[2]], response.Results.Select(r => r.Id));
        Assert.All(new[] { ids[0], ids[2] }, id => Assert.Equal("approve", services.Db(db => db.JournalEntries.Where(e => e.ReportId == id).OrderBy(e => e.Seq).Select(e => e.Action).LastAsync()).Result));
        Assert.Equal(2, await services.Db(db => db.OutboxMessages.CountAsync(m => m.MessageType == typeof(ReportApproved).FullName)));

        // The same request again answers the same and changes nothing.
        var again = await services.In<BulkActions, Outcome<BulkResponse>>(b => b.RunAsync(ReportAction.Approve, items, "一括承認", chief, "bulk-1", CancellationToken.None)).OkAsync();
        Assert.Equal(response.Results.Select(r => (r.Id, r.Outcome, r.Version)), again.Results.Select(r => (r.Id, r.Outcome, r.Version)));
        Assert.Equal(2, await services.Db(db => db.OutboxMessages.CountAsync(m => m.MessageType == typeof(ReportApproved).FullName)));

        Assert.Equal("items", (await services.In<BulkActions, Outcome<BulkResponse>>(b => b.RunAsync(ReportAction.Approve, [.. Enumerable.Range(0, 501).Select(_ => new BulkItem(Guid.NewGuid(), 1))], null, chief, null, CancellationToken.None))).Failure!.Field);
        Assert.Equal("action", (await services.In<BulkActions, Outcome<BulkResponse>>(b => b.RunAsync(ReportAction.Return, items, "x", chief, null, CancellationToken.None))).Failure!.Field);
        await AssertJournalVerifies();
    }

    [Fact]
    public async Task A_step_that_forbids_bulk_decisions_answers_forbidden_for_its_items()
    {
        var id = await Report("2.2.2-01");
        var submitted = await Submitted(id, "kaikei.staff");
        var approved = await Act(id, "kaikei.chief", ReportAction.Approve, submitted.Version).OkAsync();

        var response = await services.In<BulkActions, Outcome<BulkResponse>>(async b => await b.RunAsync(ReportAction.Concur, [new BulkItem(id, approved.Version)], null, await As("zaisei.chief"), null, CancellationToken.None)).OkAsync();

        Assert.Equal("forbidden", Assert.Single(response.Results).Outcome);
        Assert.Equal(approved.Version, (await services.Db(db => db.ProgressReports.SingleAsync(r => r.Id == id))).Version);
    }
}

public sealed class ApprovalPracticeTests_Embedded() : ApprovalPracticeTests(Profile.Embedded);

public sealed class ApprovalPracticeTests_Production() : ApprovalPracticeTests(Profile.Production);
