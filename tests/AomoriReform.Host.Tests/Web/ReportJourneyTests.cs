using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace AomoriReform.Tests.Web;

/// <summary>
/// The web UI in a real Chromium against a real host: a report's whole life through the pages,
/// a deputy, two people acting at once, the English switch and a double press.
/// </summary>
[Collection(SharedHost.Name)]
public sealed partial class ReportJourneyTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string Section = "gyosei-keiei";
    private const int FiscalYear = 2025;

    private static readonly string Staff = $"{Section}.staff@demo.local";
    private static readonly string Chief = $"{Section}.chief@demo.local";

    [Fact]
    public async Task A_report_lives_its_whole_life_in_the_browser_in_Japanese()
    {
        var reportId = await ReportOnSimpleRouteAsync(0);

        await using var staff = await host.NewSessionAsync();
        await staff.SignInAsync(Staff);
        Assert.EndsWith("/inbox", staff.Page.Url, StringComparison.Ordinal);
        await Assertions.Expect(staff.Page.Locator("h1")).ToHaveTextAsync("受信トレイ");
        await staff.Page.ClickAsync($"tr[data-report='{reportId}'] a");
        await FillAndSubmitAsync(staff, "組織機構の見直し方針を策定し、3部局で試行した。");
        await Assertions.Expect(staff.Page.GetByTestId("action-message")).ToContainTextAsync("提出しました");
        await Assertions.Expect(staff.Page.Locator(".lead .badge")).ToHaveTextAsync("提出済");

        // The chief returns it with a comment, which the confirmation step asks for.
        await using var chief = await host.NewSessionAsync();
        await chief.SignInAsync(Chief);
        await chief.Page.ClickAsync($"tr[data-report='{reportId}'] a");
        await chief.Page.GetByTestId("action-return").ClickAsync();
        await chief.Page.GetByTestId("confirm-return").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.Locator(".field__error")).ToContainTextAsync("コメントを入力してください");
        await chief.Page.FillAsync("#comment", "指標の実績の根拠を書き添えてください。");
        await chief.Page.GetByTestId("confirm-return").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.GetByTestId("action-message")).ToContainTextAsync("差し戻しました");

        // Staff sees the return behind the bell, follows it and resubmits.
        await Eventually.Get(
            async () =>
            {
                await staff.Page.GotoAsync("/inbox");
                return await staff.Page.GetByTestId("unread-count").CountAsync();
            },
            count => count > 0, because: "the return notice reaches the staff's bell");
        await staff.Page.ClickAsync(".bell");
        var notice = staff.Page.Locator("[data-testid=notifications] li[data-kind=Returned]").First;
        await Assertions.Expect(notice).ToContainTextAsync("差し戻されました");
        await notice.Locator("a").ClickAsync();
        await Assertions.Expect(staff.Page.GetByTestId("history")).ToContainTextAsync("指標の実績の根拠を書き添えてください。");
        await FillAndSubmitAsync(staff, "組織機構の見直し方針を策定し、3部局で試行した。根拠は別紙のとおり。");

        // The chief approves, headquarters accepts.
        await chief.Page.GotoAsync($"/reports/{reportId}");
        await chief.Page.GetByTestId("action-approve").ClickAndWaitAsync();
        await Assertions.Expect(chief.Page.GetByTestId("action-message")).ToContainTextAsync("承認しました");
        await using var hq = await host.NewSessionAsync();
        await hq.SignInAsync("hq.reviewer@demo.local");
        await hq.Page.GotoAsync($"/reports/{reportId}");
        await hq.Page.GetByTestId("action-accept").ClickAndWaitAsync();
        await Assertions.Expect(hq.Page.Locator(".lead .badge")).ToHaveTextAsync("受理済");
        await Assertions.Expect(hq.Page.GetByTestId("route-steps").Locator("li[data-state=done]")).ToHaveCountAsync(3);
        var history = await hq.Page.GetByTestId("history").InnerTextAsync();
        Assert.Equal(["開始", "提出", "差戻し", "提出", "承認", "受理"], HistoryActions().Matches(history).Select(m => m.Groups[1].Value).ToArray());
        await hq.ScreenshotAsync("report-accepted");

        // Nothing was done twice: the journal holds exactly the six entries.
        var entries = await host.App.WithDbAsync(db => db.JournalEntries.CountAsync(e => e.ReportId == reportId));
        Assert.Equal(6, entries);
        Assert.Empty(staff.ConsoleErrors.Concat(chief.ConsoleErrors).Concat(hq.ConsoleErrors));
    }

    [Fact]
    public async Task Two_people_act_at_once_and_the_second_is_told_in_plain_words()
    {
        var reportId = await ReportOnSimpleRouteAsync(1);
        await SubmitThroughApiAsync(reportId);

        await using var first = await host.NewSessionAsync();
        await using var second = await host.NewSessionAsync();
        await first.SignInAsync(Chief);
        await second.SignInAsync(Chief);
        await first.Page.GotoAsync($"/reports/{reportId}");
        await second.Page.GotoAsync($"/reports/{reportId}");
        await first.Page.GetByTestId("action-approve").ClickAndWaitAsync();
        await Assertions.Expect(first.Page.GetByTestId("action-message")).ToContainTextAsync("承認しました");

        await second.Page.GetByTestId("action-approve").ClickAsync();
        var message = second.Page.GetByTestId("action-message");
        await Assertions.Expect(message).ToContainTextAsync("この操作は行われませんでした");
        await Assertions.Expect(message).ToContainTextAsync("ほかの方が先に");
        // The fresh state: approved, and no approve button any more.
        await Assertions.Expect(second.Page.Locator(".lead .badge")).ToHaveTextAsync("課長承認済");
        await Assertions.Expect(second.Page.GetByTestId("action-approve")).ToHaveCountAsync(0);
        await second.ScreenshotAsync("report-conflict");
        Assert.Equal(1, await host.App.WithDbAsync(db => db.JournalEntries.CountAsync(e => e.ReportId == reportId && e.Action == "approve")));
    }

    [Fact]
    public async Task The_same_form_posted_twice_applies_once()
    {
        var reportId = await ReportOnSimpleRouteAsync(2);
        await SubmitThroughApiAsync(reportId);

        await using var chief = await host.NewSessionAsync();
        await chief.SignInAsync(Chief);
        await chief.Page.GotoAsync($"/reports/{reportId}");
        // Post the rendered form twice, as a double press without the page's script would.
        var statuses = await chief.Page.EvaluateAsync<int[]>(@"async () => {
            const form = document.querySelector('#act-form');
            const body = new FormData(form);
            body.append('Act.Action', 'approve');
            const post = () => fetch(location.href, { method: 'POST', body, redirect: 'manual' }).then(r => r.status);
            return [await post(), await post()];
        }");
        Assert.All(statuses, status => Assert.True(status is 0 or 200 or 302, $"status {status}"));
        Assert.Equal(1, await host.App.WithDbAsync(db => db.JournalEntries.CountAsync(e => e.ReportId == reportId && e.Action == "approve")));
    }

    [Fact]
    public async Task A_deputy_acts_for_an_absent_chief_and_the_history_names_both()
    {
        var reportId = await ReportOnSimpleRouteAsync(3);
        await SubmitThroughApiAsync(reportId);
        var today = FiscalYearDates.Today;
        // The chief names a member of the section as deputy for the absence.
        var deputyEmail = Workflows.Demo.DemoAccounts.SectionDeputy(Section);
        await using (var chief = await host.NewSessionAsync())
        {
            await chief.SignInAsync(Chief);
            await chief.Page.GotoAsync("/deputies");
            // An ineligible end date (past the longest appointment) is refused beside the field.
            await chief.Page.SelectOptionAsync("[data-testid=deputy-select]", deputyEmail);
            await chief.Page.FillAsync("#from", today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            await chief.Page.FillAsync("#to", today.AddDays(400).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            await chief.Page.GetByTestId("appoint").ClickAndWaitAsync();
            await Assertions.Expect(chief.Page.Locator("#to-error")).ToContainTextAsync("最長90日");
            await chief.Page.FillAsync("#to", today.AddDays(6).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            await chief.Page.GetByTestId("appoint").ClickAndWaitAsync();
            await Assertions.Expect(chief.Page.GetByTestId("deputy-message")).ToContainTextAsync("代理を指名しました");
            await Assertions.Expect(chief.Page.Locator($"tr[data-deputy='{deputyEmail}']")).ToContainTextAsync("有効");
            await chief.ScreenshotAsync("deputies");
        }

        await using var deputy = await host.NewSessionAsync();
        await deputy.SignInAsync(deputyEmail);
        await Assertions.Expect(deputy.Page.GetByTestId("deputy-banner")).ToContainTextAsync("課長");
        var row = deputy.Page.Locator($"tr[data-report='{reportId}']");
        await Assertions.Expect(row).ToContainTextAsync("の代理");
        await row.Locator("a").ClickAsync();
        await deputy.Page.GetByTestId("action-approve").ClickAndWaitAsync();
        var history = deputy.Page.GetByTestId("history");
        await Assertions.Expect(history).ToContainTextAsync("課長補佐（デモ）");
        await Assertions.Expect(history).ToContainTextAsync("の代理）");
        await deputy.ScreenshotAsync("report-deputy");

        // Ended early, the deputy no longer sees the chief's work.
        await using var again = await host.NewSessionAsync();
        await again.SignInAsync(Chief);
        await again.Page.GotoAsync("/deputies");
        await again.Page.Locator($"tr[data-deputy='{deputyEmail}'] [data-testid=end]").ClickAndWaitAsync();
        await Assertions.Expect(again.Page.GetByTestId("deputy-message")).ToContainTextAsync("終了しました");
        await deputy.Page.GotoAsync("/inbox");
        await Assertions.Expect(deputy.Page.GetByTestId("deputy-banner")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_same_journey_reads_in_English_after_the_switch()
    {
        var reportId = await ReportOnSimpleRouteAsync(4);
        await using var staff = await host.NewSessionAsync();
        await staff.Page.GotoAsync("/signin");
        await staff.Page.ClickAsync("a[hreflang=en]");
        await Assertions.Expect(staff.Page.Locator("h1")).ToHaveTextAsync("Sign in");
        Assert.Equal("en", await staff.Page.GetAttributeAsync("html", "lang"));
        await staff.SignInAsync(Staff);
        await Assertions.Expect(staff.Page.Locator("h1")).ToHaveTextAsync("Inbox");
        await staff.Page.ClickAsync($"tr[data-report='{reportId}'] a");
        await FillAndSubmitAsync(staff, "Drafted in English mode.", submitLabel: "Save and submit");
        await Assertions.Expect(staff.Page.GetByTestId("action-message")).ToContainTextAsync("Submitted");
        await Assertions.Expect(staff.Page.Locator(".lead .badge")).ToHaveTextAsync("Submitted");
        await staff.ScreenshotAsync("report-submitted-en");
        // Back to Japanese with the same switch.
        await staff.Page.ClickAsync("a[hreflang=ja]");
        await Assertions.Expect(staff.Page.Locator(".lead .badge")).ToHaveTextAsync("提出済");
    }

    private static async Task FillAndSubmitAsync(Session session, string achievements, string submitLabel = "保存して提出")
    {
        var page = session.Page;
        await page.GetByTestId("edit").ClickAsync();
        await page.CheckAsync("input[name='Form.Progress'][value=MostlyOnTrack]");
        await page.FillAsync("#achievements", achievements);
        foreach (var input in await page.Locator("input[id^=indicator-]").AllAsync())
        {
            await input.FillAsync("3");
        }

        await page.FillAsync("#nextSteps", "全部局へ展開する。");
        var submit = page.GetByTestId("submit");
        await Assertions.Expect(submit).ToHaveTextAsync(submitLabel);
        await submit.ClickAndWaitAsync();
    }

    /// <summary>The n-th report of the section on the three-step route, with the check-in open.</summary>
    private async Task<Guid> ReportOnSimpleRouteAsync(int index)
    {
        await host.OpenCheckInAsync(FiscalYear, FiscalYearDates.Today.AddDays(60));
        var ids = await host.App.WithDbAsync(db => db.ProgressReports
            .Where(r => r.FiscalYear == FiscalYear && r.SectionCode == Section && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).ToListAsync());
        Assert.True(ids.Count > index, $"the sample plan has {ids.Count} simple-route measures in {Section}");
        return ids[index];
    }

    private async Task SubmitThroughApiAsync(Guid reportId)
    {
        using var staff = await host.App.SignedInAsync(Staff);
        var report = await staff.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/reports/{reportId}");
        var version = report.GetProperty("version").GetInt32();
        var saved = await staff.PutAsJsonAsync($"/api/reports/{reportId}", new { version, content = new { progress = "OnTrack", achievements = "実施した。", nextSteps = "続ける。", indicators = Array.Empty<object>() } });
        saved.EnsureSuccessStatusCode();
        (await staff.PostAsJsonAsync($"/api/reports/{reportId}/submit", new { version = version + 1 })).EnsureSuccessStatusCode();
    }

    [GeneratedRegex(@"^(\S+?)：", RegexOptions.Multiline)]
    private static partial Regex HistoryActions();
}

internal static class FiscalYearDates
{
    public static DateOnly Today => Workflows.Calendar.FiscalYear.JapanDate(DateTimeOffset.UtcNow);
}
