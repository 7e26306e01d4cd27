using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace AomoriReform.Tests.Web;

/// <summary>
/// HQ administrators publish and retire approval routes and approval rules in the browser: a bad
/// file is named by line, a good one is previewed with its diagram and published, the new version is
/// listed, a retirement asks first; each page passes the axe scan at 1280 px and at a 390 px phone width.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class DefinitionAdminTests(BrowserHost host) : IClassFixture<BrowserHost>
{
    private static string Route(int version, string? change = null)
    {
        var yaml = AomoriReform.Workflows.Engine.RouteDefinitionLoader.ShippedFiles().Single(f => f.FileName == "progress-report.v2.yaml").Yaml
            .Replace("version: 2", $"version: {version}", StringComparison.Ordinal)
            .Replace("title: 進捗報告（標準）", $"title: 進捗報告（標準・第{version}版）", StringComparison.Ordinal);
        return change is null ? yaml : yaml.Replace("dueBusinessDays: 10", change, StringComparison.Ordinal);
    }

    private static FilePayload Yaml(string name, string text) => new() { Name = name, MimeType = "application/yaml", Buffer = Encoding.UTF8.GetBytes(text) };

    private static async Task UploadAsync(IPage page, FilePayload file)
    {
        await page.Locator("#import-file").SetInputFilesAsync(file);
        await page.GetByTestId("import-check").ClickAndWaitAsync();
    }

    [Fact]
    public async Task A_route_file_is_checked_previewed_and_published_and_an_old_version_retired_after_a_confirmation()
    {
        await using var admin = await host.NewSessionAsync();
        await admin.SignInAsync("hq.admin@demo.local");
        var page = admin.Page;
        await page.GotoAsync("/admin/routes");
        await Assertions.Expect(page.Locator("tr[data-route='progress-report'][data-version='2'] [data-testid=state]")).ToHaveTextAsync("新しい報告はこの版");
        await ScanAsync(admin, "admin-routes-list", 1280);

        // A role the product does not know: the line is named, nothing is published.
        var wrong = Route(3).Replace("role: SectionChief", "role: Governor", StringComparison.Ordinal);
        var line = Array.FindIndex(wrong.Split('\n'), l => l.Contains("Governor", StringComparison.Ordinal)) + 1;
        await UploadAsync(page, Yaml("progress-report.v3.yaml", wrong));
        await Assertions.Expect(page.GetByTestId("error-summary")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("file-errors").Locator("tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("file-errors").Locator("tbody tr td").First).ToHaveTextAsync(line.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.GetByTestId("file-errors")).ToContainTextAsync("unknown role 'Governor'");
        await Assertions.Expect(page.GetByTestId("import-preview")).ToBeHiddenAsync();
        await ScanCurrentAsync(admin, "admin-routes-errors", 1280);

        // The corrected file: previewed with its steps and diagram, not yet published.
        await UploadAsync(page, Yaml("progress-report.v3.yaml", Route(3, "dueBusinessDays: 15")));
        var preview = page.GetByTestId("import-preview");
        await Assertions.Expect(preview.GetByTestId("import-checked")).ToContainTextAsync("まだ公開していません");
        await Assertions.Expect(preview.GetByTestId("publication-version")).ToHaveTextAsync("第3版");
        await Assertions.Expect(preview.Locator("svg.flow--wide[data-testid=route-diagram]")).ToBeVisibleAsync();
        await Assertions.Expect(preview.GetByTestId("route-step-list").Locator("li")).ToHaveCountAsync(3);
        await Assertions.Expect(preview.GetByTestId("route-step-list")).ToContainTextAsync("この段階に来てから15開庁日");
        Assert.False(await host.App.WithDbAsync(db => db.WorkflowDefinitions.AnyAsync(d => d.Name == "progress-report" && d.Version == 3)));
        await ScanCurrentAsync(admin, "admin-routes-preview", 1280);

        await page.GetByTestId("import-apply").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("import-applied")).ToContainTextAsync("公開しました");
        var published = page.Locator("tr[data-route='progress-report'][data-version='3']");
        await Assertions.Expect(published).ToContainTextAsync("第3版");
        await Assertions.Expect(published.GetByTestId("state")).ToHaveTextAsync("新しい報告はこの版");
        await Assertions.Expect(page.Locator("tr[data-route='progress-report'][data-version='2'] [data-testid=state]")).ToHaveTextAsync("公開中");
        await ScanCurrentAsync(admin, "admin-routes-published", 1280);

        // The same version again: refused, with the reason.
        await UploadAsync(page, Yaml("progress-report.v3.yaml", Route(3, "dueBusinessDays: 15")));
        await Assertions.Expect(page.GetByTestId("refusal")).ToContainTextAsync("published already");

        // Retiring version 1 asks first; after it, the version is listed as retired.
        await page.Locator("tr[data-route='progress-report'][data-version='1'] [data-testid=retire]").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("retire-confirm")).ToContainTextAsync("第1版");
        await ScanCurrentAsync(admin, "admin-routes-retire-confirm", 1280);
        await page.GetByTestId("confirm-retire").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("route-message")).ToContainTextAsync("廃止しました");
        await Assertions.Expect(page.Locator("tr[data-route='progress-report'][data-version='1'] [data-testid=state]")).ToHaveTextAsync("廃止");
        await Assertions.Expect(page.Locator("tr[data-route='progress-report'][data-version='1'] [data-testid=retire]")).ToHaveCountAsync(0);

        var audit = await host.App.WithDbAsync(db => db.AuditEvents.AsNoTracking().Where(e => e.Kind.StartsWith("route.")).OrderBy(e => e.Seq).ToListAsync());
        Assert.Equal([("route.published", "progress-report v3"), ("route.retired", "progress-report v1")], audit.Select(e => (e.Kind, e.Subject)));
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(Route(3, "dueBusinessDays: 15"))));
        Assert.Contains(sha, audit[0].Details, StringComparison.Ordinal);
        Assert.Empty(admin.ConsoleErrors);

        // The same pages on a phone.
        await using var phone = await host.NewSessionAsync(390);
        await phone.SignInAsync("hq.admin@demo.local");
        await phone.Page.GotoAsync("/admin/routes");
        await ScanCurrentAsync(phone, "admin-routes-list", 390);
        await UploadAsync(phone.Page, Yaml("progress-report.v4.yaml", Route(4)));
        await Assertions.Expect(phone.Page.Locator("[data-testid=import-preview] svg.flow--narrow")).ToBeVisibleAsync();
        await ScanCurrentAsync(phone, "admin-routes-preview", 390);
        await phone.Page.GotoAsync("/admin/routes?retire=progress-report&version=2#retire");
        await ScanCurrentAsync(phone, "admin-routes-retire-confirm", 390);
    }

    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task The_approval_rules_are_previewed_with_what_each_rule_routes_and_published(int width)
    {
        await using var admin = await host.NewSessionAsync(width);
        await admin.SignInAsync("hq.admin@demo.local");
        var page = admin.Page;
        await page.GotoAsync("/admin/approval-rules");
        var current = page.Locator("[data-testid=rule-set][data-version='1']");
        await Assertions.Expect(current.GetByTestId("state")).ToHaveTextAsync("適用中");
        await Assertions.Expect(current.Locator("tr[data-class='hq-head']")).ToContainTextAsync("本部長決裁");
        await ScanCurrentAsync(admin, "admin-approval-rules", width);

        // The two widths run in either order: each publishes the next version.
        var version = await host.App.WithDbAsync(db => db.ApprovalRuleSets.MaxAsync(r => r.Version)) + 1;
        var rules = AomoriReform.Workflows.Engine.ApprovalRulesLoader.ShippedFiles().Single().Yaml
            .Replace("version: 1", $"version: {version}", StringComparison.Ordinal)
            .Replace("effectiveFrom: 2025-04-01", $"effectiveFrom: {2030 + version}-04-01", StringComparison.Ordinal)
            .Replace("  - class: hq-head\n", "  - class: committee-review\n    route: progress-report-with-head\n  - class: hq-head\n", StringComparison.Ordinal);
        await UploadAsync(page, Yaml($"approval-rules.v{version}.yaml", rules.Replace("route: progress-report-hq-head", "route: no-such-route", StringComparison.Ordinal)));
        await Assertions.Expect(page.GetByTestId("file-errors")).ToContainTextAsync("unknown route 'no-such-route'");

        await UploadAsync(page, Yaml($"approval-rules.v{version}.yaml", rules));
        var preview = page.GetByTestId("import-preview");
        await Assertions.Expect(preview.Locator("tr[data-class='hq-head'] td").Last).ToHaveTextAsync("1");
        await Assertions.Expect(preview.Locator("tr[data-class='committee-review'] td").Last).ToHaveTextAsync("0");
        await ScanCurrentAsync(admin, "admin-approval-rules-preview", width);

        await page.GetByTestId("import-apply").ClickAndWaitAsync();
        await Assertions.Expect(page.GetByTestId("import-applied")).ToContainTextAsync("公開しました");
        var scheduled = page.Locator($"[data-testid=rule-set][data-version='{version}']");
        await Assertions.Expect(scheduled.GetByTestId("state")).ToHaveTextAsync("適用予定");
        await Assertions.Expect(page.Locator("[data-testid=rule-set][data-version='1'] [data-testid=state]")).ToHaveTextAsync("適用中");
        await ScanCurrentAsync(admin, "admin-approval-rules-published", width);
        Assert.Equal(1, await host.App.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.Kind == "rules.published" && e.Subject == $"approval-rules v{version}")));
    }

    private static async Task ScanAsync(Session session, string name, int width)
    {
        await session.Page.ReloadAsync();
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
