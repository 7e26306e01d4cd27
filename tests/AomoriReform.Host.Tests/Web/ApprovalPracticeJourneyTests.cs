using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace AomoriReform.Tests.Web;

/// <summary>
/// Japanese approval practice in the browser: 代決 and its 後閲, 差戻し to a chosen step, 一括承認
/// (without script too), 意見, 引戻し by a chief after approving, and what changed since a return.
/// Each test works in its own section, so that one's deputy or inbox never meets another's.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class ApprovalPracticeJourneyTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private readonly PracticeApi api = new(host);

    [Fact]
    public async Task A_deputy_decides_for_the_chief_who_reviews_it_afterwards_from_the_inbox()
    {
        const string section = "joho-system";
        var reportId = (await api.DraftsAsync(section, 1))[0];
        await api.SubmitAsync(section, reportId);

        // The chief names the 課長補佐 as deputy on the page for deputies.
        await using (var chief = await host.NewSessionAsync())
        {
            await chief.SignInAsync(PracticeApi.Chief(section));
            await chief.Page.GotoAsync("/deputies");
            await chief.Page.SelectOptionAsync("[data-testid=deputy-select]", PracticeApi.Deputy(section));
            await chief.Page.FillAsync("#to", FiscalYearDates.Today.AddDays(6).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            await chief.Page.GetByTestId("appoint").ClickAndWaitAsync();
            await Assertions.Expect(chief.Page.GetByTestId("deputy-message")).ToContainTextAsync("代理を指名しました");
        }

        // The deputy approves in the chief's name: the history marks it 代決, its 後閲 still open.
        await using var deputy = await host.NewSessionAsync();
        await deputy.SignInAsync(PracticeApi.Deputy(section));
        await deputy.Page.GotoAsync($"/reports/{reportId}");
        await deputy.Page.GetByTestId("action-approve").ClickAndWaitAsync();
        await Assertions.Expect(deputy.Page.GetByTestId("action-message")).ToContainTextAsync("承認しました");
        var decided = deputy.Page.GetByTestId("history").Locator("li[data-action=approve]");
        await Assertions.Expect(decided.GetByTestId("deputy-decision")).ToHaveTextAsync("代決");
        await Assertions.Expect(decided.GetByTestId("post-review-state")).ToContainTextAsync("後閲未了");
        // Only the principal reviews: the deputy has no 後閲 to do.
        await Assertions.Expect(deputy.Page.GetByTestId("post-review")).ToBeHiddenAsync();

        // The chief finds the 後閲 in the inbox, said in words, and opens the report from it.
        await using var back = await host.NewSessionAsync();
        await back.SignInAsync(PracticeApi.Chief(section));
        await back.Page.GotoAsync("/inbox");
        var row = back.Page.Locator($"tr[data-report='{reportId}'][data-kind=postReview]");
        await Assertions.Expect(row.GetByTestId("post-review-badge")).ToHaveTextAsync("後閲");
        await Assertions.Expect(row.GetByTestId("pick")).ToHaveCountAsync(0);
        await back.ScreenshotAsync("practice-inbox-post-review");
        await row.Locator("a").ClickAndWaitAsync();
        var panel = back.Page.GetByTestId("post-review");
        await Assertions.Expect(panel).ToBeVisibleAsync();
        await Assertions.Expect(panel).ToContainTextAsync("課長補佐（デモ）さんが「承認」としました");
        await back.ScreenshotAsync("practice-report-post-review");
        await back.Page.FillAsync("#review-comment", "確認しました。指標の根拠は次回添付してください。");
        await back.Page.GetByTestId("post-review-submit").ClickAndWaitAsync();
        await Assertions.Expect(back.Page.GetByTestId("action-message")).ToContainTextAsync("後閲しました");
        await Assertions.Expect(back.Page.GetByTestId("action-message")).ToBeFocusedAsync();
        await Assertions.Expect(panel).ToBeHiddenAsync();

        // The history records the 後閲 with its comment, and the 代決 entry now says 後閲済.
        var history = back.Page.GetByTestId("history");
        var review = history.Locator("li[data-action=postReview]");
        await Assertions.Expect(review).ToContainTextAsync("後閲：");
        await Assertions.Expect(review).ToContainTextAsync("確認しました。指標の根拠は次回添付してください。");
        await Assertions.Expect(history.Locator("li[data-action=approve]").GetByTestId("post-review-state")).ToContainTextAsync("後閲済");
        await back.Page.GotoAsync("/inbox");
        await Assertions.Expect(back.Page.Locator($"tr[data-report='{reportId}'][data-kind=postReview]")).ToHaveCountAsync(0);
        Assert.Empty(deputy.ConsoleErrors.Concat(back.ConsoleErrors));
    }

    [Fact]
    public async Task Headquarters_returns_a_report_to_the_chiefs_step_and_the_chief_approves_it_again()
    {
        const string section = "kikaku-chosei";
        var reportId = (await api.DraftsAsync(section, 1))[0];
        await api.SubmitAsync(section, reportId);
        await api.ActAsync(PracticeApi.Chief(section), reportId, "approve");

        await using var hq = await host.NewSessionAsync();
        await hq.SignInAsync("hq.reviewer@demo.local");
        await hq.Page.GotoAsync($"/reports/{reportId}");
        await hq.Page.GetByTestId("action-return").ClickAndWaitAsync();
        var steps = hq.Page.GetByTestId("return-steps");
        // The steps it may go back to, by title, the drafter chosen by default.
        await Assertions.Expect(steps.Locator("input[type=radio]")).ToHaveCountAsync(2);
        await Assertions.Expect(steps.Locator("input[value=draft]")).ToBeCheckedAsync();
        await Assertions.Expect(steps).ToContainTextAsync("課長決裁");
        await Assertions.Expect(hq.Page.GetByTestId("confirm")).ToBeFocusedAsync();
        await hq.Page.GetByLabel("課長決裁").CheckAsync();
        await hq.Page.FillAsync("#comment", "指標2の実績の出典を確かめてから、もう一度決裁してください。");
        await hq.ScreenshotAsync("practice-return-to-step");
        await hq.Page.GetByTestId("confirm-return").ClickAndWaitAsync();
        await Assertions.Expect(hq.Page.GetByTestId("action-message")).ToContainTextAsync("「課長決裁」の段階から、もう一度判断されます");
        await Assertions.Expect(hq.Page.Locator(".lead .badge")).ToHaveTextAsync("提出済");
        await Assertions.Expect(hq.Page.Locator("[data-step=section-approval]")).ToHaveAttributeAsync("data-state", "current");

        // The chief sees it again in the inbox, reads why, and approves again.
        await using var chief = await host.NewSessionAsync();
        await chief.SignInAsync(PracticeApi.Chief(section));
        await chief.Page.Locator($"tr[data-report='{reportId}'] a").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.GetByTestId("history").Locator("li[data-action=return]")).ToContainTextAsync("指標2の実績の出典を確かめてから");
        await chief.Page.GetByTestId("action-approve").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.GetByTestId("action-message")).ToContainTextAsync("承認しました");
        await Assertions.Expect(chief.Page.Locator(".lead .badge")).ToHaveTextAsync("課長承認済");
        Assert.Equal(2, await host.App.WithDbAsync(db => db.JournalEntries.CountAsync(e => e.ReportId == reportId && e.Action == "approve")));
    }

    [Fact]
    public async Task A_chief_approves_several_reports_at_once_from_the_inbox_and_sees_each_result()
    {
        const string section = "jinji";
        var ids = await api.DraftsAsync(section, 4);
        foreach (var id in ids)
        {
            await api.SubmitAsync(section, id);
        }

        // With script: one checkbox selects every report that may be approved in bulk.
        await using (var scripted = await host.NewSessionAsync())
        {
            await scripted.SignInAsync(PracticeApi.Chief(section));
            await scripted.Page.GotoAsync("/inbox");
            await Assertions.Expect(scripted.Page.GetByTestId("select-all-link")).ToBeHiddenAsync();
            await scripted.Page.GetByTestId("select-all").CheckAsync();
            await Assertions.Expect(scripted.Page.Locator("[data-testid=pick]:checked")).ToHaveCountAsync(4);
            await scripted.Page.GetByTestId("select-all").UncheckAsync();
            await Assertions.Expect(scripted.Page.Locator("[data-testid=pick]:checked")).ToHaveCountAsync(0);
            Assert.Empty(scripted.ConsoleErrors);
        }

        // Without script: the form posts the chosen reports and their versions.
        await using var chief = await host.NewSessionAsync(javaScript: false);
        await chief.SignInAsync(PracticeApi.Chief(section));
        await chief.Page.GotoAsync("/inbox");
        await chief.Page.GetByTestId("select-all-link").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.Locator("[data-testid=pick]:checked")).ToHaveCountAsync(4);
        await chief.Page.Locator($"tr[data-report='{ids[3]}'] [data-testid=pick]").UncheckAsync();
        await chief.Page.GetByTestId("bulk-approve").ClickAndWaitAsync();

        // The confirmation lists what will be approved, and nothing else.
        var confirm = chief.Page.GetByTestId("bulk-confirm");
        await Assertions.Expect(confirm).ToBeVisibleAsync();
        await Assertions.Expect(confirm.Locator("[data-testid=bulk-confirm-list] li")).ToHaveCountAsync(3);
        await Assertions.Expect(confirm.Locator($"li[data-report='{ids[3]}']")).ToHaveCountAsync(0);
        await Assertions.Expect(chief.Page.GetByTestId("bulk-run")).ToHaveTextAsync("3件を一括承認する");
        await chief.ScreenshotAsync("practice-bulk-confirm");

        // Meanwhile the chief approves one of them in another window: it is the one conflict.
        await api.ActAsync(PracticeApi.Chief(section), ids[2], "approve");
        await chief.Page.GetByTestId("bulk-run").ClickAndWaitAsync();
        var results = chief.Page.GetByTestId("bulk-results-table");
        await Assertions.Expect(results.Locator("tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(results.Locator($"tr[data-report='{ids[0]}']")).ToContainTextAsync("承認しました");
        await Assertions.Expect(results.Locator($"tr[data-report='{ids[1]}']")).ToContainTextAsync("承認しました");
        await Assertions.Expect(results.Locator($"tr[data-report='{ids[2]}']")).ToContainTextAsync("ほかの方が先に操作しました");
        await Assertions.Expect(chief.Page.GetByTestId("bulk-summary")).ToContainTextAsync("3件中2件を決裁しました");
        await chief.ScreenshotAsync("practice-bulk-results");

        // Each approval is its own journal entry; the report left out is still waiting.
        foreach (var id in ids[..3])
        {
            Assert.Equal(1, await host.App.WithDbAsync(db => db.JournalEntries.CountAsync(e => e.ReportId == id && e.Action == "approve")));
        }

        Assert.Equal("Submitted", await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == ids[3]).Select(r => r.Status).SingleAsync()));
        await Assertions.Expect(chief.Page.Locator($"#bulk-form tr[data-report='{ids[3]}']")).ToHaveCountAsync(1);
        await Assertions.Expect(chief.Page.Locator($"#bulk-form tr[data-report='{ids[0]}']")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_people_of_the_current_step_keep_a_comment_thread_that_moves_nothing()
    {
        const string section = "zaisan-kanri";
        var reportId = (await api.DraftsAsync(section, 1))[0];
        await api.SubmitAsync(section, reportId);
        var version = await api.VersionAsync(reportId);

        await using var chief = await host.NewSessionAsync();
        await chief.SignInAsync(PracticeApi.Chief(section));
        await chief.Page.GotoAsync($"/reports/{reportId}");
        await Assertions.Expect(chief.Page.GetByTestId("no-comments")).ToBeVisibleAsync();
        // An empty comment is refused beside the field.
        await chief.Page.GetByTestId("comment-submit").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.Locator("#note-error")).ToContainTextAsync("意見を入力してください");
        await Assertions.Expect(chief.Page.GetByTestId("comment-message")).ToBeFocusedAsync();
        await chief.Page.FillAsync("#note", "来週の部内会議で確認します。");
        await chief.Page.GetByTestId("comment-submit").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.GetByTestId("comment-message")).ToContainTextAsync("意見を書き込みました");
        var thread = chief.Page.GetByTestId("comments");
        await Assertions.Expect(thread.Locator("li")).ToHaveCountAsync(1);
        await Assertions.Expect(thread).ToContainTextAsync("来週の部内会議で確認します。");
        await Assertions.Expect(thread).ToContainTextAsync("課長決裁");
        await chief.ScreenshotAsync("practice-comments");

        // The staff reads the thread but does not write in it: the report waits at the chief's step.
        await using var staff = await host.NewSessionAsync();
        await staff.SignInAsync(PracticeApi.Staff(section));
        await staff.Page.GotoAsync($"/reports/{reportId}");
        await Assertions.Expect(staff.Page.GetByTestId("comments")).ToContainTextAsync("来週の部内会議で確認します。");
        await Assertions.Expect(staff.Page.Locator("#comment-form")).ToBeHiddenAsync();

        // Nothing moved: same status, same version; the history holds no comment.
        Assert.Equal(version, await api.VersionAsync(reportId));
        await Assertions.Expect(staff.Page.GetByTestId("history").Locator("li[data-action=comment]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_chief_recalls_a_report_after_approving_it_until_headquarters_acts()
    {
        const string section = "koho-kocho";
        var reportId = (await api.DraftsAsync(section, 1))[0];
        await api.SubmitAsync(section, reportId);

        await using var chief = await host.NewSessionAsync();
        await chief.SignInAsync(PracticeApi.Chief(section));
        await chief.Page.GotoAsync($"/reports/{reportId}");
        await chief.Page.GetByTestId("action-approve").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.Locator(".lead .badge")).ToHaveTextAsync("課長承認済");

        // The recall asks for confirmation, saying where the report goes and whose request is withdrawn.
        await chief.Page.GetByTestId("action-recall").ClickAndWaitAsync();
        var confirm = chief.Page.GetByTestId("confirm");
        await Assertions.Expect(confirm).ToBeFocusedAsync();
        await Assertions.Expect(confirm).ToContainTextAsync("「課長決裁」の段階に引き戻します");
        await Assertions.Expect(confirm).ToContainTextAsync("「推進本部の審査・受理」の方への依頼は取り消されます");
        await chief.ScreenshotAsync("practice-recall-confirm");
        await chief.Page.GetByTestId("confirm-recall").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.GetByTestId("action-message")).ToContainTextAsync("引き戻しました。もう一度判断できます。");
        await Assertions.Expect(chief.Page.Locator(".lead .badge")).ToHaveTextAsync("提出済");
        await Assertions.Expect(chief.Page.GetByTestId("action-approve")).ToBeVisibleAsync();
        await Assertions.Expect(chief.Page.GetByTestId("history").Locator("li[data-action=recall]")).ToHaveCountAsync(1);

        // Approved again, and accepted by HQ before the chief's second recall: told in plain words.
        await chief.Page.GetByTestId("action-approve").ClickAndWaitAsync();
        await chief.Page.GetByTestId("action-recall").ClickAndWaitAsync();
        await api.ActAsync("hq.reviewer@demo.local", reportId, "accept");
        await chief.Page.GetByTestId("confirm-recall").ClickAndWaitAsync();
        var message = chief.Page.GetByTestId("action-message");
        await Assertions.Expect(message).ToBeFocusedAsync();
        await Assertions.Expect(message).ToContainTextAsync("引き戻せませんでした");
        await Assertions.Expect(chief.Page.Locator(".lead .badge")).ToHaveTextAsync("受理済");
        await Assertions.Expect(chief.Page.GetByTestId("action-recall")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task After_a_return_the_approver_sees_field_by_field_what_the_drafter_changed()
    {
        const string section = "bosai-kiki-kanri";
        var reportId = (await api.DraftsAsync(section, 1))[0];
        await api.ReturnedAndResubmittedAsync(section, reportId);

        await using var chief = await host.NewSessionAsync();
        await chief.SignInAsync(PracticeApi.Chief(section));
        await chief.Page.GotoAsync($"/reports/{reportId}");
        var changes = chief.Page.GetByTestId("changes");
        await Assertions.Expect(changes.Locator("h2")).ToHaveTextAsync("前回差戻し時からの変更");
        var achievements = changes.Locator("tr[data-field=achievements]");
        await Assertions.Expect(achievements.Locator("th")).ToHaveTextAsync("取組の実績");
        await Assertions.Expect(achievements.Locator("td").Nth(0)).ToHaveTextAsync("組織の見直しを検討した。");
        await Assertions.Expect(achievements.Locator("td").Nth(1)).ToHaveTextAsync("組織の見直しを検討し、3部局で試行した。");
        var indicator = changes.Locator("tr[data-field^='indicators.']").First;
        await Assertions.Expect(indicator.Locator("th")).ToContainTextAsync("指標「");
        await Assertions.Expect(indicator.Locator("td").Nth(0)).ToHaveTextAsync("10");
        await Assertions.Expect(indicator.Locator("td").Nth(1)).ToHaveTextAsync("12.5");
        await Assertions.Expect(changes.Locator("tr[data-field=progress]")).ToHaveCountAsync(0);
        await chief.ScreenshotAsync("practice-changes");

        // The same in English after the switch: labels, values and the route's step titles.
        await chief.Page.ClickAsync("a[hreflang=en]");
        await Assertions.Expect(changes.Locator("h2")).ToHaveTextAsync("Changes since the report was returned");
        await Assertions.Expect(achievements.Locator("th")).ToHaveTextAsync("Achievements");
        await Assertions.Expect(chief.Page.Locator("[data-step=section-approval] .step__title")).ToHaveTextAsync("Section chief's decision");
        await chief.ScreenshotAsync("practice-changes-en");
        Assert.Empty(chief.ConsoleErrors);
    }
}
