using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// Admission control (<c>Reports:MaxConcurrentActions</c>): an action beyond the limit waits for a turn
/// before it reads or writes anything, goes on when one is given back, and leaves nothing behind when its
/// request is abandoned while it waits.
/// </summary>
public sealed class ActionAdmissionTests
{
    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task An_action_beyond_the_limit_waits_for_a_turn_and_then_acts(Profile profile)
    {
        var (services, id, staff) = await ReportAsync(profile);
        await using var _ = services;
        var admission = await services.In<ActionAdmission, ActionAdmission>(Task.FromResult);
        Assert.Equal(1, admission.Limit);

        var held = await admission.EnterAsync(CancellationToken.None);
        var saving = services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, 1, Content("待っていた保存"), staff, null, CancellationToken.None));
        await Eventually.Get(() => Task.FromResult(admission.Waiting), waiting => waiting == 1, because: "the save to wait for the turn the test holds");

        Assert.False(saving.IsCompleted);
        Assert.Equal(1, await VersionAsync(services, id));
        held.Dispose();

        var saved = await saving.OkAsync();
        Assert.Equal(2, saved.Version);
        Assert.Equal(2, await VersionAsync(services, id));
        Assert.Equal((0, 0), (admission.Waiting, admission.Running));
    }

    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task An_action_abandoned_while_it_waits_changes_nothing_and_gives_up_its_place(Profile profile)
    {
        var (services, id, staff) = await ReportAsync(profile);
        await using var _ = services;
        var admission = await services.In<ActionAdmission, ActionAdmission>(Task.FromResult);
        using var abandon = new CancellationTokenSource();

        using (await admission.EnterAsync(CancellationToken.None))
        {
            var saving = services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, 1, Content("捨てられる保存"), staff, null, abandon.Token));
            await Eventually.Get(() => Task.FromResult(admission.Waiting), waiting => waiting == 1, because: "the save to wait for the turn the test holds");
            await abandon.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => saving);
            Assert.Equal(0, admission.Waiting);
        }

        Assert.Equal(1, await VersionAsync(services, id));
        // The abandoned wait took no turn with it: the next action goes straight in.
        var saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, 1, Content("次の保存"), staff, null, CancellationToken.None)).OkAsync();
        Assert.Equal(2, saved.Version);
    }

    [Fact]
    public async Task Turns_go_in_arrival_order_and_an_abandoned_wait_is_passed_over()
    {
        var admission = new ActionAdmission(Options.Create(new ReportOptions { MaxConcurrentActions = 1 }));
        var first = await admission.EnterAsync(CancellationToken.None);
        using var abandon = new CancellationTokenSource();
        var second = admission.EnterAsync(CancellationToken.None).AsTask();
        var abandoned = admission.EnterAsync(abandon.Token).AsTask();
        var third = admission.EnterAsync(CancellationToken.None).AsTask();
        Assert.Equal((1, 3), (admission.Running, admission.Waiting));

        await abandon.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        first.Dispose();
        var secondTurn = await second;
        Assert.False(third.IsCompleted);
        Assert.Equal((1, 1), (admission.Running, admission.Waiting));
        secondTurn.Dispose();
        (await third).Dispose();
        Assert.Equal((0, 0), (admission.Running, admission.Waiting));
    }

    [Fact]
    public async Task Unset_there_is_no_limit_and_a_limit_below_one_is_refused()
    {
        await using (var unset = await WorkflowServices.CreateAsync(Profile.Embedded))
        {
            var admission = await unset.In<ActionAdmission, ActionAdmission>(Task.FromResult);
            Assert.Null(admission.Limit);
            var turns = Enumerable.Range(0, 100).Select(_ => admission.EnterAsync(CancellationToken.None)).ToList();
            Assert.All(turns, turn => Assert.True(turn.IsCompletedSuccessfully));
            Assert.Equal(0, admission.Waiting);
        }

        await using var refused = await WorkflowServices.CreateAsync(Profile.Embedded, settings: new Dictionary<string, string?> { ["Reports:MaxConcurrentActions"] = "0" });
        var problem = await Assert.ThrowsAsync<OptionsValidationException>(() => refused.In<IOptions<ReportOptions>, ReportOptions>(o => Task.FromResult(o.Value)));
        Assert.Contains("Reports:MaxConcurrentActions", problem.Message, StringComparison.Ordinal);
    }

    private static ReportContent Content(string achievements) => new(Progress.OnTrack, achievements, null, []);

    private static async Task<(WorkflowServices Services, Guid Id, Caller Staff)> ReportAsync(Profile profile)
    {
        var services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero),
            new Dictionary<string, string?> { ["Reports:MaxConcurrentActions"] = "1" });
        await services.ImportSamplesAsync("user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n");
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
        var id = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        var userId = await services.Db(db => db.Users.Where(u => u.Email == "staff@pref.example.jp").Select(u => u.Id).SingleAsync());
        var staff = (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(userId, CancellationToken.None)))!;
        return (services, id, staff);
    }

    private static Task<int> VersionAsync(WorkflowServices services, Guid id) =>
        services.Db(db => db.ProgressReports.AsNoTracking().Where(r => r.Id == id).Select(r => r.Version).SingleAsync());
}
