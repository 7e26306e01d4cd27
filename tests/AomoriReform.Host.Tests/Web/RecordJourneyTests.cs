using System.Net.Http.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using UglyToad.PdfPig;

namespace AomoriReform.Tests.Web;

/// <summary>
/// Records in a real Chromium: the drafting staff attach a file on the report page (a refused one
/// told why in Japanese beside the field), download it and the decision record PDF, and after
/// acceptance headquarters appends a correction; at 1280 and 390 px, under the pages' CSP.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class RecordJourneyTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private const string Section = "gyosei-keiei";
    private const int FiscalYear = 2025;
    private static readonly string Staff = $"{Section}.staff@demo.local";

    [Fact]
    public async Task Staff_attach_a_file_on_the_report_page_and_download_it_and_the_decision_record()
    {
        var reportId = await ReportAsync(0);
        await using var staff = await host.NewSessionAsync();
        await staff.SignInAsync(Staff);
        await staff.Page.GotoAsync($"/reports/{reportId}");
        var panel = staff.Page.GetByTestId("attachments");
        await Assertions.Expect(panel.GetByTestId("no-attachments")).ToBeVisibleAsync();

        // A CSV saved in Shift_JIS is refused, and the field says what to do in Japanese.
        await staff.Page.SetInputFilesAsync("#attachment-file", new FilePayload { Name = "実績.csv", MimeType = "text/csv", Buffer = TestFiles.ShiftJisCsv() });
        await staff.Page.GetByTestId("attachment-upload").ClickAndWaitAsync();
        await Assertions.Expect(staff.Page.GetByTestId("attachment-error")).ToContainTextAsync("UTF-8で保存し直してください");
        await Assertions.Expect(staff.Page.GetByTestId("attachment-message")).ToContainTextAsync("添付できませんでした");

        var pdf = TestFiles.Pdf("根拠資料");
        await staff.Page.SetInputFilesAsync("#attachment-file", new FilePayload { Name = TestFiles.JapaneseName, MimeType = "application/pdf", Buffer = pdf });
        await staff.Page.GetByTestId("attachment-upload").ClickAndWaitAsync();
        await Assertions.Expect(staff.Page.GetByTestId("attachment-message")).ToContainTextAsync("資料を添付しました");
        await staff.Page.SetInputFilesAsync("#attachment-file", new FilePayload { Name = "指標の集計表.csv", MimeType = "text/csv", Buffer = TestFiles.Csv() });
        await staff.Page.GetByTestId("attachment-upload").ClickAndWaitAsync();
        var row = panel.Locator($"tr[data-attachment='{TestFiles.JapaneseName}']");
        await Assertions.Expect(row).ToContainTextAsync("第1版");
        await Assertions.Expect(panel.Locator("tbody tr")).ToHaveCountAsync(2);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(pdf));
        await Assertions.Expect(row.Locator("summary")).ToContainTextAsync(sha[..12]);
        await row.Locator("summary").ClickAsync();
        await Assertions.Expect(row.GetByTestId("attachment-sha256")).ToHaveTextAsync(sha);
        await staff.ScreenshotAsync("report-attachments");
        await AssertAccessibleAsync(staff, "report-attachments");

        // The file comes back under its Japanese name, byte for byte.
        var download = await staff.Page.RunAndWaitForDownloadAsync(() => row.GetByTestId("attachment-link").ClickAsync());
        Assert.Equal(TestFiles.JapaneseName, download.SuggestedFilename);
        Assert.Equal(pdf, await File.ReadAllBytesAsync(await download.PathAsync()));

        // The decision record, read back.
        var record = await staff.Page.RunAndWaitForDownloadAsync(() => staff.Page.GetByTestId("decision-pdf").ClickAsync());
        Assert.StartsWith("決裁文書_", record.SuggestedFilename, StringComparison.Ordinal);
        using (var document = PdfDocument.Open(await File.ReadAllBytesAsync(await record.PathAsync())))
        {
            var text = string.Concat(document.GetPages().Select(p => p.Text)).RemoveWhitespace();
            Assert.Contains(TestFiles.JapaneseName.RemoveWhitespace(), text, StringComparison.Ordinal);
            Assert.Contains(sha, text, StringComparison.Ordinal);
        }

        // On a phone the table becomes cards and nothing scrolls sideways.
        await using var phone = await host.NewSessionAsync(width: 390);
        await phone.SignInAsync(Staff);
        await phone.Page.GotoAsync($"/reports/{reportId}#attachments");
        await Assertions.Expect(phone.Page.GetByTestId("attachments").Locator("tbody tr")).ToHaveCountAsync(2);
        await phone.AssertNoHorizontalScrollAsync();
        await phone.ScreenshotAsync("report-attachments-390");
        await AssertAccessibleAsync(phone, "report-attachments-390");

        // Deleting one takes it off the list.
        await panel.Locator("tr[data-attachment='指標の集計表.csv']").GetByTestId("attachment-delete").ClickAndWaitAsync();
        await Assertions.Expect(staff.Page.GetByTestId("attachment-message")).ToContainTextAsync("一覧から削除しました");
        await Assertions.Expect(panel.Locator("tbody tr")).ToHaveCountAsync(1);
        Assert.Empty(staff.ConsoleErrors.Concat(phone.ConsoleErrors));
    }

    [Fact]
    public async Task After_acceptance_the_files_are_fixed_and_headquarters_appends_a_correction()
    {
        var reportId = await ReportAsync(1);
        using (var api = await host.App.SignedInAsync(Staff))
        {
            var attached = await api.PostAsync(new Uri($"/api/reports/{reportId}/attachments", UriKind.Relative),
                Records.RecordApiTests.File(TestFiles.Xlsx(), "集計表（令和7年度）.xlsx"));
            attached.EnsureSuccessStatusCode();
        }

        await AcceptThroughApiAsync(reportId);
        await using var staff = await host.NewSessionAsync();
        await staff.SignInAsync(Staff);
        await staff.Page.GotoAsync($"/reports/{reportId}");
        await Assertions.Expect(staff.Page.GetByTestId("attachments").Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(staff.Page.GetByTestId("attachment-form")).ToHaveCountAsync(0);
        await Assertions.Expect(staff.Page.GetByTestId("attachment-delete")).ToHaveCountAsync(0);
        await Assertions.Expect(staff.Page.GetByTestId("correction-form")).ToHaveCountAsync(0);

        await using var hq = await host.NewSessionAsync();
        await hq.SignInAsync("hq.reviewer@demo.local");
        await hq.Page.GotoAsync($"/reports/{reportId}");
        await Assertions.Expect(hq.Page.GetByTestId("no-corrections")).ToBeVisibleAsync();
        await hq.Page.FillAsync("#correction-text", "指標2の単位の誤記（「件」→「%」）。実績値に変更はない。");
        await hq.Page.GetByTestId("correction-add").ClickAndWaitAsync();
        await Assertions.Expect(hq.Page.GetByTestId("correction-message")).ToContainTextAsync("修正の注記を加えました");
        await Assertions.Expect(hq.Page.GetByTestId("correction-list")).ToContainTextAsync("指標2の単位の誤記");
        await hq.ScreenshotAsync("report-accepted-records");
        await AssertAccessibleAsync(hq, "report-accepted-records");
        var entry = await host.App.WithDbAsync(db => db.JournalEntries.Where(e => e.ReportId == reportId).OrderBy(e => e.Seq).Select(e => e.Action).LastAsync());
        Assert.Equal("correction", entry);
        Assert.Empty(staff.ConsoleErrors.Concat(hq.ConsoleErrors));
    }

    /// <summary>The same axe scan as the accessibility tests: nothing serious or critical.</summary>
    private static async Task AssertAccessibleAsync(Session session, string name)
    {
        var results = await session.Page.RunAxe(new AxeRunOptions { RunOnly = new RunOnlyOptions { Type = "tag", Values = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{name}: " + string.Join("; ", serious.Select(v => $"{v.Id} ({v.Impact}): {string.Join(", ", v.Nodes.Take(3).Select(n => string.Join(" ", n.Target)))}")));
    }

    private async Task<Guid> ReportAsync(int index)
    {
        await host.OpenCheckInAsync(FiscalYear, FiscalYearDates.Today.AddDays(60));
        var ids = await host.App.WithDbAsync(db => db.ProgressReports
            .Where(r => r.FiscalYear == FiscalYear && r.SectionCode == Section && r.RouteName == "progress-report")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).ToListAsync());
        return ids[index];
    }

    private async Task AcceptThroughApiAsync(Guid reportId)
    {
        foreach (var (email, action) in new[] { (Staff, "submit"), ($"{Section}.chief@demo.local", "approve"), ("hq.reviewer@demo.local", "accept") })
        {
            using var client = await host.App.SignedInAsync(email);
            var version = await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == reportId).Select(r => r.Version).SingleAsync());
            (await client.PostAsJsonAsync($"/api/reports/{reportId}/{action}", new { version })).EnsureSuccessStatusCode();
        }
    }
}
