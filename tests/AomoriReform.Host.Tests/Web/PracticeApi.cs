using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Web;

/// <summary>
/// Sets the scene for the browser tests through the API (the pages under test are driven in the
/// browser): reports of a section in a state, a deputy appointed, a deputy's decision (代決), a
/// return and a resubmission. One signed-in client per account.
/// </summary>
public sealed class PracticeApi(BrowserHost host)
{
    public const int FiscalYear = 2025;

    private readonly Dictionary<string, HttpClient> clients = [];

    public static string Staff(string section) => Workflows.Demo.DemoAccounts.SectionStaff(section);

    public static string Chief(string section) => Workflows.Demo.DemoAccounts.SectionChief(section);

    public static string Deputy(string section) => Workflows.Demo.DemoAccounts.SectionDeputy(section);

    /// <summary>Draft reports of the section on the standard route (draft, 課長決裁, 推進本部), the check-in open.</summary>
    public async Task<Guid[]> DraftsAsync(string section, int count)
    {
        await host.OpenCheckInAsync(FiscalYear, FiscalYearDates.Today.AddDays(60));
        var ids = await host.App.WithDbAsync(db => db.ProgressReports
            .Where(r => r.FiscalYear == FiscalYear && r.SectionCode == section && r.RouteName == "progress-report" && r.Status == "Draft")
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).Take(count).ToArrayAsync());
        Assert.True(ids.Length == count, $"{section} has {ids.Length} draft standard-route reports, not {count}");
        return ids;
    }

    public Task<int> VersionAsync(Guid id) => host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());

    /// <summary>The section's staff fills in the report and submits it.</summary>
    public async Task SubmitAsync(string section, Guid id, string achievements = "実施した。", decimal? actual = null)
    {
        await SaveAsync(section, id, achievements, actual);
        await ActAsync(Staff(section), id, "submit");
    }

    public async Task SaveAsync(string section, Guid id, string achievements, decimal? actual = null)
    {
        var staff = await ClientAsync(Staff(section));
        var codes = await host.App.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id)
            .Join(db.Measures, r => r.MeasureId, m => m.Id, (r, m) => m.Indicators).SingleAsync());
        var indicators = codes.Select(i => new { code = i.Code, actual = actual }).ToArray();
        var saved = await staff.PutAsJsonAsync($"/api/reports/{id}", new
        {
            version = await VersionAsync(id),
            content = new { progress = "OnTrack", achievements, nextSteps = "続ける。", indicators },
        });
        Assert.True(saved.IsSuccessStatusCode, $"save: {(int)saved.StatusCode} {await saved.Content.ReadAsStringAsync()}");
    }

    public async Task ActAsync(string email, Guid id, string action, string? comment = null, string? toStep = null)
    {
        var client = await ClientAsync(email);
        var response = await client.PostAsJsonAsync($"/api/reports/{id}/{action}", new { version = await VersionAsync(id), comment, toStep });
        Assert.True(response.IsSuccessStatusCode, $"{email} {action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public async Task CommentAsync(string email, Guid id, string text)
    {
        var response = await (await ClientAsync(email)).PostAsJsonAsync($"/api/reports/{id}/comments", new { text });
        Assert.True(response.IsSuccessStatusCode, $"comment: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The section's chief names its 課長補佐 as deputy from today, for a week.</summary>
    public async Task AppointDeputyAsync(string section)
    {
        var today = FiscalYearDates.Today;
        var response = await (await ClientAsync(Chief(section))).PostAsJsonAsync("/api/deputies", new
        {
            deputyEmail = Deputy(section),
            from = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = today.AddDays(6).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        });
        Assert.True(response.IsSuccessStatusCode, $"appoint: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A report submitted and approved by the chief's deputy on the chief's behalf (代決): the chief has a 後閲 open on it.</summary>
    public async Task<Guid> DeputyDecisionAsync(string section, Guid id)
    {
        await SubmitAsync(section, id);
        await ActAsync(Deputy(section), id, "approve");
        return id;
    }

    /// <summary>Submitted, returned to the drafter with a comment, and resubmitted with other content: the page shows what changed.</summary>
    public async Task ReturnedAndResubmittedAsync(string section, Guid id)
    {
        await SubmitAsync(section, id, "組織の見直しを検討した。", 10);
        await ActAsync(Chief(section), id, "return", "実績の数値を確かめてください。");
        await SubmitAsync(section, id, "組織の見直しを検討し、3部局で試行した。", 12.5m);
    }

    public async Task<JsonElement> ReportAsync(string email, Guid id) =>
        await (await ClientAsync(email)).GetFromJsonAsync<JsonElement>($"/api/reports/{id}");

    private async Task<HttpClient> ClientAsync(string email)
    {
        if (!clients.TryGetValue(email, out var client))
        {
            client = await host.App.SignedInAsync(email);
            clients[email] = client;
        }

        return client;
    }
}
