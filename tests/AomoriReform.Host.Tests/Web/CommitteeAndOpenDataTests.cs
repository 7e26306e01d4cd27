using System.Net.Http.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace AomoriReform.Tests.Web;

/// <summary>
/// The committee's opinion reaching next year's drafting section, and the residents' page, as people
/// meet them in Chromium: screenshots, no horizontal scroll at 1280 and 390 px, an axe scan of each page.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class CommitteeAndOpenDataTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string Section = "gyosei-keiei";

    [Fact]
    public async Task A_committee_member_writes_an_opinion_HQ_responds_and_next_years_form_shows_both_to_the_drafting_staff()
    {
        await host.OpenCheckInAsync(2025, FiscalYearDates.Today.AddDays(60));
        await host.OpenCheckInAsync(2026, FiscalYearDates.Today.AddDays(60));
        var (report2025, measure) = await AcceptedReportAsync(0);
        var report2026 = await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.MeasureCode == measure && r.FiscalYear == 2026).Select(r => r.Id).SingleAsync());
        const string opinionText = "組織の見直しの効果を、件数だけでなく業務時間の削減でも示してほしい。";
        const string responseText = "次年度の報告から、見直しによる業務時間の削減も指標に加えて報告します。";

        await using (var committee = await host.NewSessionAsync())
        {
            await committee.SignInAsync("committee@demo.local");
            await committee.Page.GotoAsync("/committee?fy=2025");
            await Assertions.Expect(committee.Page.Locator("h1")).ToHaveTextAsync("推進委員会");
            await committee.Page.Locator($"a[href*='about=measure:{measure}']").ClickAndWaitAsync();
            await Assertions.Expect(committee.Page.Locator("#opinion-about")).ToHaveValueAsync($"measure:{measure}");
            await committee.Page.FillAsync("#opinion-text", opinionText);
            await committee.Page.GetByTestId("opinion-submit").ClickAndWaitAsync();
            await Assertions.Expect(committee.Page.GetByTestId("committee-done")).ToBeVisibleAsync();
            var written = committee.Page.GetByTestId("opinion").Filter(new() { HasText = opinionText });
            await Assertions.Expect(written.GetByTestId("unanswered")).ToContainTextAsync("対応方針が未作成です");
            await ScanCurrentAsync(committee, "committee-written", 1280);
        }

        await using (var hq = await host.NewSessionAsync())
        {
            await hq.SignInAsync("hq.reviewer@demo.local");
            await hq.Page.GotoAsync("/committee?fy=2025&unanswered=true");
            var unanswered = hq.Page.GetByTestId("opinion").Filter(new() { HasText = opinionText });
            await unanswered.GetByTestId("respond-link").ClickAndWaitAsync();
            await hq.Page.FillAsync("#respond-text", responseText);
            await ScanCurrentAsync(hq, "committee-respond", 1280);
            await hq.Page.GetByTestId("respond-submit").ClickAndWaitAsync();
            var answered = hq.Page.GetByTestId("opinion").Filter(new() { HasText = opinionText });
            await Assertions.Expect(answered.GetByTestId("response")).ToHaveTextAsync(responseText);
            await Assertions.Expect(answered).ToHaveAttributeAsync("data-answered", "true");
            await ScanCurrentAsync(hq, "committee-answered", 1280);
        }

        await using var staff = await host.NewSessionAsync(390);
        await staff.SignInAsync($"{Section}.staff@demo.local");
        await staff.Page.GotoAsync($"/reports/{report2026}/edit");
        var panel = staff.Page.GetByTestId("previous-opinions");
        await Assertions.Expect(panel.Locator("h2")).ToHaveTextAsync("令和7年度の推進委員会の意見と対応方針");
        await Assertions.Expect(panel).ToContainTextAsync(opinionText);
        await Assertions.Expect(panel.GetByTestId("previous-response")).ToHaveTextAsync(responseText);
        await ScanCurrentAsync(staff, "report-edit-previous-opinions", 390);
        await staff.Page.GotoAsync($"/reports/{report2026}");
        await Assertions.Expect(staff.Page.GetByTestId("previous-opinions")).ToContainTextAsync(opinionText);
        // The year the opinion is about shows nothing of it: it is for the next year.
        await staff.Page.GotoAsync($"/reports/{report2025}");
        await Assertions.Expect(staff.Page.GetByTestId("previous-opinions")).ToHaveCountAsync(0);
    }

    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task The_residents_page_shows_progress_by_viewpoint_and_area_without_sign_in(int width)
    {
        await host.OpenCheckInAsync(2025, FiscalYearDates.Today.AddDays(60));
        await AcceptedReportAsync(1, "OnTrack");
        await AcceptedReportAsync(2, "Delayed");
        using (var admin = await host.App.SignedInAsync("hq.admin@demo.local"))
        {
            // Published once for both widths (the second run finds it published: 409).
            var published = await admin.PostAsJsonAsync("/api/publications", new { fiscalYear = 2025 });
            Assert.True(published.StatusCode is System.Net.HttpStatusCode.Created or System.Net.HttpStatusCode.Conflict, $"{(int)published.StatusCode}");
        }

        await using var resident = await host.NewSessionAsync(width);
        var response = await resident.Page.GotoAsync("/kenmin");
        Assert.Equal(200, response!.Status);
        var page = resident.Page;
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("行財政改革の取組の進み具合");
        // No signed-in header: no menu, no account, no sign-out.
        await Assertions.Expect(page.Locator(".site-nav")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("form[action='/signout']")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("summary-text")).ToContainTextAsync("令和7年度");
        await Assertions.Expect(page.Locator("[data-testid=progress-table] tr.progress-table__viewpoint[data-code='1'] th")).ToContainTextAsync("県庁機能の抜本的な強化と人材の活躍");
        await Assertions.Expect(page.Locator("[data-testid=progress-table] tr.progress-table__area[data-code='1.1']")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("progress-chart")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("data-links").Locator("a[href='/open-data/2025/progress.csv']")).ToBeVisibleAsync();
        await ScanCurrentAsync(resident, "kenmin", width);

        await page.ClickAsync("a[hreflang=en]");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Progress of the administrative and fiscal reform");
        Assert.Equal("en", await page.GetAttributeAsync("html", "lang"));
        await ScanCurrentAsync(resident, "kenmin-en", width);
    }

    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task HQ_publishes_a_year_on_the_open_data_page_after_a_confirmation_and_withdraws_it_again(int width)
    {
        // FY2027: a year of its own, so the other tests' publications of FY2025 do not meet this one.
        await host.OpenCheckInAsync(2027, FiscalYearDates.Today.AddDays(60));
        await AcceptedReportAsync(0, "OnTrack", 2027);
        await using var hq = await host.NewSessionAsync(width);
        await hq.SignInAsync("hq.admin@demo.local");
        var page = hq.Page;
        await page.GotoAsync("/admin");
        await page.Locator("a[href='/admin/open-data']").ClickAndWaitAsync();
        var year = page.Locator("[data-testid=open-data-year][data-year='2027']");
        await Assertions.Expect(year.GetByTestId("open-data-state")).ToContainTextAsync("未公開");
        await ScanCurrentAsync(hq, "admin-open-data", width);

        // 公開する… asks first; nothing is published until confirmed.
        await year.GetByTestId("publish-link").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("open-data-confirm")).ToContainTextAsync("令和9年度の受理済みの報告（1件）");
        Assert.Equal(0, await host.App.WithDbAsync(db => db.Publications.CountAsync(p => p.FiscalYear == 2027 && p.WithdrawnAt == null)));
        await ScanCurrentAsync(hq, "admin-open-data-confirm", width);
        await page.GetByTestId("open-data-confirm-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("open-data-message")).ToContainTextAsync("令和9年度を公開しました");
        await Assertions.Expect(year.GetByTestId("open-data-state")).ToContainTextAsync("公開中");
        using (var anonymous = host.App.CreateClient())
        {
            var csv = await anonymous.GetAsync("/open-data/2027/progress.csv");
            Assert.Equal(System.Net.HttpStatusCode.OK, csv.StatusCode);
        }

        // Withdrawn the same way: gone from the files at once.
        await year.GetByTestId("withdraw-link").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("open-data-confirm")).ToContainTextAsync("令和9年度の公開を取り下げます");
        await page.GetByTestId("open-data-confirm-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("open-data-message")).ToContainTextAsync("令和9年度の公開を取り下げました");
        await Assertions.Expect(year.GetByTestId("open-data-state")).ToContainTextAsync("未公開");
        await Assertions.Expect(page.GetByTestId("open-data-history")).ToContainTextAsync("令和9年度");
        await ScanCurrentAsync(hq, "admin-open-data-withdrawn", width);
        using (var anonymous = host.App.CreateClient())
        {
            Assert.Equal(System.Net.HttpStatusCode.NotFound, (await anonymous.GetAsync("/open-data/2027/progress.csv")).StatusCode);
        }

        // Both acts are in the signed audit trail (the newest two of this year's; the other width's run adds its own pair).
        var acts = await host.App.WithDbAsync(db => db.AuditEvents.AsNoTracking()
            .Where(e => e.Kind.StartsWith("publication.") && e.Details.Contains("\"fiscalYear\":2027")).OrderByDescending(e => e.Seq).Select(e => e.Kind).Take(2).ToListAsync());
        Assert.Equal(["publication.withdrawn", "publication.published"], acts);
    }

    [Fact]
    public async Task HQ_admin_stops_extends_disposes_and_transfers_records_whose_retention_period_has_ended()
    {
        // FY2028: a year of its own. Three accepted reports whose period ended yesterday (as if years had passed).
        await host.OpenCheckInAsync(2028, FiscalYearDates.Today.AddDays(60));
        var (held, _) = await AcceptedReportAsync(0, "OnTrack", 2028);
        var (disposed, _) = await AcceptedReportAsync(1, "OnTrack", 2028);
        var (transferred, _) = await AcceptedReportAsync(2, "OnTrack", 2028);
        Guid[] records = [held, disposed, transferred];
        var yesterday = FiscalYearDates.Today.AddDays(-1);
        await host.App.WithDbAsync(db => db.ProgressReports.Where(r => records.Contains(r.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.RetentionClass, "1").SetProperty(r => r.RetentionUntil, yesterday)));

        await using var hq = await host.NewSessionAsync();
        await hq.SignInAsync("hq.admin@demo.local");
        var page = hq.Page;
        await page.GotoAsync("/admin");
        await page.Locator("a[href='/admin/retention']").ClickAndWaitAsync();
        await page.GetByTestId("retention-review").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retention-message")).ToContainTextAsync("点検しました");
        foreach (var id in records)
        {
            await Assertions.Expect(page.Locator($"[data-testid=retention-row][data-report='{id}']")).ToContainTextAsync("満了（決定待ち）");
        }

        await ScanCurrentAsync(hq, "admin-retention", 1280);

        // 廃棄の停止: a reason is required (told beside the field, nothing stored), then disposal is off the page.
        await page.Locator($"[data-testid=retention-row][data-report='{held}'] a").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retention-state")).ToHaveTextAsync("満了（決定待ち）");
        await ScanCurrentAsync(hq, "admin-retention-record", 1280);
        await page.GetByTestId("hold-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.Locator("#hold-reason-error")).ToContainTextAsync("理由を入力してください。");
        Assert.Null(await host.App.WithDbAsync(db => db.RecordRetentions.Where(r => r.ReportId == held).Select(r => r.HoldReason).SingleOrDefaultAsync()));
        await page.Locator("#hold-reason").FillAsync("住民監査請求（令和10年第2号）の資料として保存");
        await page.GetByTestId("hold-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retention-message")).ToContainTextAsync("廃棄を停止しました");
        await Assertions.Expect(page.GetByTestId("retention-state")).ToHaveTextAsync("廃棄を停止中");
        await Assertions.Expect(page.GetByTestId("hold-reason")).ToContainTextAsync("住民監査請求");
        await Assertions.Expect(page.GetByTestId("dispose-link")).ToHaveCountAsync(0);

        // Released, then extended: a year count out of range is refused beside the field; two years move the end to 31 March.
        await page.GetByTestId("release-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retention-state")).ToHaveTextAsync("満了（決定待ち）");
        await page.Locator("#extend-years").FillAsync("31");
        await page.Locator("#extend-reason").FillAsync("監査対応");
        await page.GetByTestId("extend-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.Locator("#extend-years-error")).ToContainTextAsync("1から30までの整数");
        await page.Locator("#extend-years").FillAsync("2");
        await page.Locator("#extend-reason").FillAsync("監査委員の指摘に対応中のため");
        await page.GetByTestId("extend-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retention-message")).ToContainTextAsync("保存期間を延長しました");
        await Assertions.Expect(page.GetByTestId("retention-state")).ToHaveTextAsync("保存期間中");
        Assert.Equal(new DateOnly(yesterday.Year + 2, 3, 31),
            await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == held).Select(r => r.RetentionUntil!.Value).SingleAsync()));
        await Assertions.Expect(page.GetByTestId("retention-history")).ToContainTextAsync("保存期間の延長");

        // 廃棄 asks first; then the content and files are gone and the report page says so.
        await page.GotoAsync($"/admin/retention/{disposed}");
        await page.GetByTestId("dispose-link").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("dispose-confirm")).ToContainTextAsync("元に戻すことはできません");
        Assert.Null(await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == disposed).Select(r => r.DisposedAt).SingleAsync()));
        await ScanCurrentAsync(hq, "admin-retention-dispose", 1280);
        await page.GetByTestId("dispose-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retention-message")).ToContainTextAsync("廃棄しました");
        await Assertions.Expect(page.GetByTestId("retention-state")).ToHaveTextAsync("廃棄済み");
        var tombstone = await host.App.WithDbAsync(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == disposed));
        Assert.Equal(("disposed", (string?)null), (tombstone.Disposition, tombstone.Content.Achievements));
        await page.GotoAsync($"/reports/{disposed}");
        await Assertions.Expect(page.GetByTestId("disposed")).ToContainTextAsync("この報告は廃棄されました");

        // 移管: the package is downloaded (its SHA-256 shown on reload), then the transfer names it in the journal.
        await page.GotoAsync($"/admin/retention/{transferred}");
        await Assertions.Expect(page.GetByTestId("transfer-link")).ToHaveCountAsync(0);
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("package-link").ClickAsync());
        Assert.StartsWith("移管_", download.SuggestedFilename, StringComparison.Ordinal);
        var zipPath = await download.PathAsync();
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(zipPath!)));
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("package-hash")).ToContainTextAsync(sha);
        await page.GetByTestId("transfer-link").ClickAndWaitAsync();
        await page.GetByTestId("transfer-submit").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retention-state")).ToHaveTextAsync("移管済み");
        Assert.Equal($"移管パッケージ SHA-256 {sha}", await host.App.WithDbAsync(db => db.JournalEntries.Where(e => e.ReportId == transferred)
            .OrderByDescending(e => e.Seq).Select(e => e.Comment).FirstAsync()));

        // The journal still verifies, files re-hashed, with the content and bytes of two records gone.
        using (var admin = await host.App.SignedInAsync("hq.admin@demo.local"))
        {
            var verification = await admin.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/audit/verify?files=true");
            Assert.True(verification.GetProperty("valid").GetBoolean(), verification.ToString());
            Assert.Equal(System.Net.HttpStatusCode.Gone, (await admin.GetAsync($"/api/reports/{disposed}/pdf")).StatusCode);
        }

        // The phone width: the list of what was disposed of and the tombstone's page.
        await using var narrow = await host.NewSessionAsync(390);
        await narrow.SignInAsync("hq.admin@demo.local");
        await narrow.Page.GotoAsync("/admin/retention?state=disposed");
        await Assertions.Expect(narrow.Page.Locator($"[data-testid=retention-row][data-report='{disposed}']")).ToBeVisibleAsync();
        await ScanCurrentAsync(narrow, "admin-retention-disposed", 390);
        await narrow.Page.GotoAsync($"/admin/retention/{held}");
        await ScanCurrentAsync(narrow, "admin-retention-record", 390);
    }

    /// <summary>A standard-route report of the section in the year (FY2025 unless told), accepted through the API (once: later calls find it accepted).</summary>
    private async Task<(Guid Id, string MeasureCode)> AcceptedReportAsync(int index, string progress = "MostlyOnTrack", int fiscalYear = 2025)
    {
        var report = await host.App.WithDbAsync(db => db.ProgressReports.AsNoTracking()
            .Where(r => r.SectionCode == Section && r.RouteName == "progress-report" && r.FiscalYear == fiscalYear)
            .OrderBy(r => r.MeasureCode).Skip(index).Select(r => new { r.Id, r.MeasureCode, r.Status, r.Version }).FirstAsync());
        if (report.Status == "Accepted")
        {
            return (report.Id, report.MeasureCode);
        }

        using var staff = await host.App.SignedInAsync($"{Section}.staff@demo.local");
        using var chief = await host.App.SignedInAsync($"{Section}.chief@demo.local");
        using var hq = await host.App.SignedInAsync("hq.reviewer@demo.local");
        var version = report.Version;
        (await staff.PutAsJsonAsync($"/api/reports/{report.Id}", new { version, content = new { progress, achievements = "見直しを進めた。", nextSteps = "継続する。" } })).EnsureSuccessStatusCode();
        (await staff.PostAsJsonAsync($"/api/reports/{report.Id}/submit", new { version = version + 1 })).EnsureSuccessStatusCode();
        (await chief.PostAsJsonAsync($"/api/reports/{report.Id}/approve", new { version = version + 2 })).EnsureSuccessStatusCode();
        (await hq.PostAsJsonAsync($"/api/reports/{report.Id}/accept", new { version = version + 3 })).EnsureSuccessStatusCode();
        return (report.Id, report.MeasureCode);
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
