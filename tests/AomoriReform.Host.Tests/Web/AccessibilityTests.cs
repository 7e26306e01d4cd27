using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace AomoriReform.Tests.Web;

/// <summary>
/// Every page as a person meets it: no serious or critical axe-core violation, at 1280 px and at a
/// 390 px phone width without sideways scrolling, reachable by keyboard alone, with screenshots.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class AccessibilityTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string Section = "gyosei-keiei";

    public static TheoryData<int> Widths => [1280, 390];

    [Theory]
    [MemberData(nameof(Widths))]
    public async Task Every_page_passes_the_axe_scan_and_fits_the_width(int width)
    {
        await host.OpenCheckInAsync(2025, FiscalYearDates.Today.AddDays(60));
        var reportId = await host.App.WithDbAsync(db => db.ProgressReports
            .Where(r => r.SectionCode == Section && r.FiscalYear == 2025).OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());

        await using (var anonymous = await host.NewSessionAsync(width))
        {
            await ScanAsync(anonymous, "/signin", "signin", width);
            await ScanAsync(anonymous, "/error/404", "error-404", width);
        }

        await using (var staff = await host.NewSessionAsync(width))
        {
            await staff.SignInAsync($"{Section}.staff@demo.local");
            await ScanAsync(staff, "/inbox", "inbox", width);
            await ScanAsync(staff, "/reports?fy=2025", "reports", width);
            await ScanAsync(staff, $"/reports/{reportId}", "report", width);
            await ScanAsync(staff, $"/reports/{reportId}/edit", "report-edit", width);
            // The form's error pattern: a summary at the top linked to the fields, messages beside them.
            await staff.Page.Locator("input[id^=indicator-]").First.FillAsync("たくさん");
            await staff.Page.GetByTestId("submit").ClickAndWaitAsync();
            await Assertions.Expect(staff.Page.GetByTestId("error-summary")).ToBeFocusedAsync();
            await Assertions.Expect(staff.Page.GetByTestId("error-summary").Locator("a")).ToHaveCountAsync(2);
            await ScanCurrentAsync(staff, "report-edit-errors", width);
            await ScanAsync(staff, "/notifications", "notifications", width);
            await ScanAsync(staff, "/dashboard", "error-403", width, expectStatus: 403);
        }

        await using (var chief = await host.NewSessionAsync(width))
        {
            var (submitted, section) = await SubmittedReportAsync(width);
            await chief.SignInAsync($"{section}.chief@demo.local");
            await ScanAsync(chief, $"/reports/{submitted}?confirm=return", "report-return-confirm", width);
            await ScanAsync(chief, "/deputies", "deputies", width);
        }

        // Approval practice: a 代決 waiting for its 後閲, a recall, a return to a chosen step, what changed
        // since a return with a comment thread, and 一括承認's confirmation and results. One section per width.
        var practice = new PracticeApi(host);
        var practiceSection = width == 1280 ? "jinji" : "joho-system";
        var ids = await practice.DraftsAsync(practiceSection, 5);
        await practice.AppointDeputyAsync(practiceSection);
        await practice.DeputyDecisionAsync(practiceSection, ids[0]);
        // Its 後閲 past its due date, so that HQ's list shows an overdue one.
        await host.App.WithDbAsync(db => db.WorkTasks.Where(t => t.ReportId == ids[0] && t.Kind == Workflows.Engine.WorkTaskKind.PostReview)
            .ExecuteUpdateAsync(t => t.SetProperty(x => x.DueDate, FiscalYearDates.Today.AddDays(-2))));
        await practice.SubmitAsync(practiceSection, ids[1]);
        await practice.ActAsync(PracticeApi.Chief(practiceSection), ids[1], "approve");
        await practice.ReturnedAndResubmittedAsync(practiceSection, ids[2]);
        await practice.CommentAsync(PracticeApi.Chief(practiceSection), ids[2], "来週の部内会議で確認します。");
        await practice.SubmitAsync(practiceSection, ids[3]);
        await practice.SubmitAsync(practiceSection, ids[4]);
        await using (var chief = await host.NewSessionAsync(width))
        {
            await chief.SignInAsync(PracticeApi.Chief(practiceSection));
            await ScanAsync(chief, $"/reports/{ids[0]}", "report-post-review", width);
            await ScanAsync(chief, $"/reports/{ids[1]}?confirm=recall", "report-recall-confirm", width);
            await ScanAsync(chief, $"/reports/{ids[2]}", "report-changes-comments", width);
            await ScanAsync(chief, "/inbox", "inbox-practice", width);
            await chief.Page.Locator($"tr[data-report='{ids[3]}'] [data-testid=pick]").CheckAsync();
            await chief.Page.Locator($"tr[data-report='{ids[4]}'] [data-testid=pick]").CheckAsync();
            await chief.Page.GetByTestId("bulk-approve").ClickAndWaitAsync();
            await Assertions.Expect(chief.Page.GetByTestId("bulk-confirm")).ToBeFocusedAsync();
            await ScanCurrentAsync(chief, "inbox-bulk-confirm", width);
            await chief.Page.GetByTestId("bulk-run").ClickAndWaitAsync();
            await Assertions.Expect(chief.Page.GetByTestId("bulk-summary")).ToBeFocusedAsync();
            await ScanCurrentAsync(chief, "inbox-bulk-results", width);
        }

        await using (var reviewer = await host.NewSessionAsync(width))
        {
            await reviewer.SignInAsync("hq.reviewer@demo.local");
            await ScanAsync(reviewer, $"/reports/{ids[0]}?confirm=return", "report-return-to-step", width);
        }

        await using (var hq = await host.NewSessionAsync(width))
        {
            await hq.SignInAsync("hq.admin@demo.local");
            await ScanAsync(hq, "/post-reviews", "post-reviews", width);
            await Assertions.Expect(hq.Page.Locator($"tr[data-report='{ids[0]}'] [data-testid=overdue]")).ToHaveTextAsync("期限切れ");
            // 合議: the sections asked and the quorum; a consultation with nobody to ask shows as skipped (省略); 決裁区分 when the plan gives it.
            var (quorum, skipped) = await ConsultationReportsAsync();
            await ScanAsync(hq, $"/reports/{quorum}", "report-consultation", width);
            await Assertions.Expect(hq.Page.GetByTestId("consulted")).ToContainTextAsync("3課のうち2課の同意で次へ進みます");
            await Assertions.Expect(hq.Page.GetByTestId("approval-class")).ToHaveTextAsync("部長専決");
            await ScanAsync(hq, $"/reports/{skipped}", "report-consultation-skipped", width);
            await Assertions.Expect(hq.Page.Locator("[data-step=consultation]")).ToHaveAttributeAsync("data-state", "skipped");
            await Assertions.Expect(hq.Page.Locator("[data-step=consultation]")).ToContainTextAsync("省略");
            await ScanAsync(hq, "/post-reviews?state=all&overdue=false&fy=2025", "post-reviews-filtered", width);
            await ScanAsync(hq, "/dashboard?fy=2025", "dashboard", width);
            await ScanAsync(hq, "/dashboard?fy=2025&by=section", "dashboard-section", width);
            await ScanAsync(hq, "/admin", "admin", width);
            await ScanAsync(hq, "/admin/plan", "admin-plan", width);
            await ScanAsync(hq, "/admin/organisation", "admin-organisation", width);
            // /admin/routes, /admin/approval-rules and /admin/open-data are scanned at both widths, in their
            // states, by DefinitionAdminTests and CommitteeAndOpenDataTests: not twice here.
            await ScanAsync(hq, "/deputies", "deputies-all", width);
        }
    }

    [Fact]
    public async Task A_report_is_filled_and_submitted_with_the_keyboard_alone_in_reading_order()
    {
        await host.OpenCheckInAsync(2025, FiscalYearDates.Today.AddDays(60));
        var reportId = await host.App.WithDbAsync(db => db.ProgressReports
            .Where(r => r.SectionCode == Section && r.FiscalYear == 2025 && r.Status == "Draft").OrderByDescending(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        await using var staff = await host.NewSessionAsync();
        var page = staff.Page;

        // Sign in by keyboard: the first Tab reaches the skip link, which moves focus to the content.
        await page.GotoAsync("/signin");
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator(".skip-link")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await TabToAsync(page, "#email");
        await page.Keyboard.TypeAsync($"{Section}.staff@demo.local");
        await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.Locator("#password")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(BrowserHost.Password);
        // The page the sign-in lands on, whatever it answers (a redirect is followed), so that a failure
        // says what came back; a loaded machine gets a minute (CI once saw no 200 within 30 s).
        var landed = await page.RunAndWaitForResponseAsync(() => page.Keyboard.PressAsync("Enter"),
            r => r.Request.IsNavigationRequest && r.Status is < 300 or >= 400, new() { Timeout = 60_000 });
        Assert.True(landed.Status == 200, $"{landed.Request.Method} {landed.Url} answered {landed.Status}");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("受信トレイ");

        await page.GotoAsync($"/reports/{reportId}/edit");
        // The fields come in reading order: progress, achievements, each indicator, next steps, then the buttons.
        await TabToAsync(page, "input[name='Form.Progress']");
        await page.Keyboard.PressAsync("ArrowRight");
        var order = new List<string>();
        for (var i = 0; i < 12 && !order.Contains("submit"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var id = await page.EvaluateAsync<string>("() => document.activeElement.id || document.activeElement.dataset.testid || document.activeElement.tagName");
            order.Add(id);
            if (id == "achievements" || id == "nextSteps")
            {
                await page.Keyboard.TypeAsync("キーボードだけで入力した。");
            }
            else if (id.StartsWith("indicator-", StringComparison.Ordinal))
            {
                await page.Keyboard.TypeAsync("5");
            }
        }

        Assert.Equal("achievements", order[0]);
        Assert.True(order.IndexOf("nextSteps") > order.IndexOf("achievements") && order.IndexOf("save") > order.IndexOf("nextSteps") && order.IndexOf("submit") > order.IndexOf("save"),
            "focus order: " + string.Join(", ", order));
        await page.RunAndWaitForResponseAsync(() => page.Keyboard.PressAsync("Enter"), r => r.Request.IsNavigationRequest && r.Status == 200);
        // After the post, focus is on the message that says what happened.
        await Assertions.Expect(page.GetByTestId("action-message")).ToBeFocusedAsync();
        await Assertions.Expect(page.GetByTestId("action-message")).ToContainTextAsync("提出しました");
        Assert.Equal("MostlyOnTrack", await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == reportId).Select(r => r.Content.Progress.ToString()).SingleAsync()));
    }

    /// <summary>
    /// Two reports on the consultation route: the one whose measure asks three sections with a quorum of
    /// two (given a 決裁区分 and the rule that chose its route), and one whose measure names no section to ask.
    /// </summary>
    private async Task<(Guid Quorum, Guid Skipped)> ConsultationReportsAsync()
    {
        var reports = await host.App.WithDbAsync(db => db.ProgressReports
            .Where(r => r.FiscalYear == 2025 && r.RouteName == "progress-report-consult").OrderBy(r => r.MeasureCode)
            .Select(r => new { r.Id, r.ConsultRequired }).ToListAsync());
        var quorum = reports.First(r => r.ConsultRequired == 2).Id;
        var skipped = reports.First(r => r.ConsultRequired is null).Id;
        await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == quorum)
            .ExecuteUpdateAsync(r => r.SetProperty(x => x.ApprovalClass, "department-head").SetProperty(x => x.RouteRule, "合議のある取組は関係課合議のルート")));
        await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == skipped).ExecuteUpdateAsync(r => r.SetProperty(x => x.ConsultSections, string.Empty)));
        return (quorum, skipped);
    }

    /// <summary>A report of another section, submitted, so that its chief may return it.</summary>
    private async Task<(Guid Id, string Section)> SubmittedReportAsync(int width)
    {
        var (id, section) = await host.App.WithDbAsync(async db => (await db.ProgressReports
            .Where(r => r.SectionCode != Section && r.FiscalYear == 2025 && r.RouteName == "progress-report" && r.Status == "Draft")
            .OrderBy(r => r.MeasureCode).Skip(width == 1280 ? 0 : 1).Select(r => new { r.Id, r.SectionCode }).FirstAsync()) is var r ? (r.Id, r.SectionCode) : default);
        using var api = await host.App.SignedInAsync($"{section}.staff@demo.local");
        var version = await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());
        (await System.Net.Http.Json.HttpClientJsonExtensions.PostAsJsonAsync(api, $"/api/reports/{id}/submit", new { version })).EnsureSuccessStatusCode();
        return (id, section);
    }

    private static async Task TabToAsync(IPage page, string selector)
    {
        for (var i = 0; i < 40; i++)
        {
            if (await page.EvaluateAsync<bool>("s => document.activeElement && document.activeElement.matches(s)", selector))
            {
                return;
            }

            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Fail($"Tab never reached {selector}");
    }

    private static async Task ScanAsync(Session session, string path, string name, int width, int expectStatus = 200)
    {
        var response = await session.Page.GotoAsync(path);
        Assert.Equal(expectStatus, response!.Status);
        if (expectStatus != 200)
        {
            // The browser reports the error status of the page itself; nothing else may fail.
            session.ConsoleErrors.RemoveAll(e => e.Contains($"status of {expectStatus}", StringComparison.Ordinal));
        }

        await ScanCurrentAsync(session, name, width);
    }

    private static async Task ScanCurrentAsync(Session session, string name, int width)
    {
        await session.ScreenshotAsync($"{name}-{width}");
        await session.AssertNoHorizontalScrollAsync();
        var results = await session.Page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{name} at {width}px: " + string.Join("; ", serious.Select(v => $"{v.Id} ({v.Impact}): {string.Join(", ", v.Nodes.Take(3).Select(n => string.Join(" ", n.Target)))}")));
        Assert.Empty(session.ConsoleErrors);
    }
}
