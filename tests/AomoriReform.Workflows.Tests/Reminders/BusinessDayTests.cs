using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reminders;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Reminders;

/// <summary>
/// 閉庁日: a step whose route counts business days gets its due date, reminders and escalations on
/// days the offices are open, across Golden Week 2026 (4/29 昭和の日, 5/3-5/5 and the 振替休日 5/6).
/// </summary>
public abstract class BusinessDayTests(Profile profile) : IAsyncLifetime
{
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,assistant@pref.example.jp,課長補佐 花子,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,課長 三郎,gyosei-keiei,SectionChief\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n");
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private Task<int> Sweep() => services.In<ReminderSweep, int>(sweep => sweep.RunAsync(CancellationToken.None));

    private void At(int month, int day, int hour) => services.Time.SetUtcNow(new DateTimeOffset(2026, month, day, hour, 0, 0, TimeSpan.FromHours(9)));

    [Fact]
    public async Task Hq_review_due_in_ten_business_days_skips_golden_week_and_its_reminder_and_escalation_fall_on_open_days()
    {
        var id = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report").OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        At(4, 27, 10);
        await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.ActAsync(id, ReportAction.Submit, 1, null, await As("staff"), null, CancellationToken.None)).OkAsync();
        At(4, 28, 10);
        var approved = await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.ActAsync(id, ReportAction.Approve, 2, null, await As("chief"), null, CancellationToken.None)).OkAsync();

        // Open days after 4/28: 4/30, 5/1, 5/7, 5/8, 5/11 ... the tenth is 5/18.
        var task = await services.Db(db => db.WorkTasks.AsNoTracking().SingleAsync(t => t.ReportId == id && t.State == WorkTaskState.Open));
        Assert.Equal(("hq-review", new DateOnly(2026, 5, 18)), (task.StepId, task.DueDate));
        Assert.Equal("SectionApproved", approved.Status);

        // Its reminder, 3 business days before: 5/13 at 09:00; its escalation the next open day, 5/19.
        var hq = await services.Db(db => db.Users.Where(u => u.Email == "hq@pref.example.jp").Select(u => u.Id).SingleAsync());
        At(5, 12, 23);
        await Sweep();
        Assert.Equal(0, await services.Db(db => db.Notifications.CountAsync(n => n.UserId == hq && n.ReportId == id)));
        At(5, 13, 9);
        await Sweep();
        Assert.Equal(1, await services.Db(db => db.Notifications.CountAsync(n => n.UserId == hq && n.ReportId == id && n.Kind == NotificationKind.Reminder)));
        At(5, 18, 23);
        await Sweep();
        Assert.Equal(0, await services.Db(db => db.SentReminders.CountAsync(s => s.TaskId == task.Id && s.Kind == NotificationKind.Escalation)));
        At(5, 19, 0);
        await Sweep();
        Assert.Equal(1, await services.Db(db => db.SentReminders.CountAsync(s => s.TaskId == task.Id && s.Kind == NotificationKind.Escalation)));
    }

    [Fact]
    public async Task A_post_review_is_due_five_business_days_after_the_deputys_decision_and_reminds_only_the_principal()
    {
        At(5, 1, 10);
        var chief = await As("chief");
        await services.In<DeputyAppointments, Outcome<DeputyView>>(d => d.AppointAsync(chief, new DeputyRequest("assistant@pref.example.jp", new DateOnly(2026, 5, 1), new DateOnly(2026, 5, 10)), CancellationToken.None)).OkAsync();
        var id = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report").OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.ActAsync(id, ReportAction.Submit, 1, null, await As("staff"), null, CancellationToken.None)).OkAsync();
        await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.ActAsync(id, ReportAction.Approve, 2, null, await As("assistant"), null, CancellationToken.None)).OkAsync();

        // Friday 5/1, then 5/7, 5/8, 5/11, 5/12, 5/13.
        var review = await services.Db(db => db.WorkTasks.AsNoTracking().SingleAsync(t => t.ReportId == id && t.Kind == WorkTaskKind.PostReview));
        Assert.Equal(new DateOnly(2026, 5, 13), review.DueDate);
        At(5, 13, 9);
        await Sweep();
        var notified = await services.Db(db => db.Notifications.AsNoTracking().Where(n => n.ReportId == id && n.Text.StartsWith("【後閲】")).Select(n => n.UserId).ToListAsync());
        Assert.Equal([chief.UserId], notified);
        Assert.Equal(0, await services.Db(db => db.SentReminders.CountAsync(s => s.TaskId == review.Id && s.Kind == NotificationKind.Escalation)));
    }
}

public sealed class BusinessDayTests_Embedded() : BusinessDayTests(Profile.Embedded);

public sealed class BusinessDayTests_Production() : BusinessDayTests(Profile.Production);
