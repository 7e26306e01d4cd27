using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MiniExcelLibs;

namespace AomoriReform.Tests.Rollups;

/// <summary>Exports, year-over-year and notifications through the HTTP API.</summary>
[Collection(SharedHost.Name)]
public abstract class YearlyCycleApiTests(Profile profile) : IAsyncLifetime
{
    private TestDatabase database = null!;
    private ReformApp app = null!;
    private HttpClient hq = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(profile);
        app = new ReformApp(database, "Development");
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
        hq = await app.SignedInAsync("hq.reviewer@demo.local");
        var total = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Measures));
        await Eventually.Get(() => app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.ReportProjections)), n => n == total, because: "the check-in to be projected");
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task<List<JsonElement>> Rollup(string by) =>
        (await hq.GetFromJsonAsync<JsonElement>($"/api/rollups?fiscalYear=2025&by={by}")).EnumerateArray().ToList();

    [Fact]
    public async Task The_csv_export_opens_in_excel_with_the_reiwa_title_and_the_same_numbers()
    {
        var response = await hq.GetAsync(new Uri("/api/rollups/export?fiscalYear=2025&format=csv", UriKind.Relative));
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("令和7年度 行財政改革 取組の進捗状況", lines[0]);
        Assert.Equal("区分,コード,名称,合計,作成中,差戻し,提出済,課長承認済,受理,その他の段階,期限超過", lines[1]);
        var viewpoints = lines.Where(l => l.StartsWith("視点別,", StringComparison.Ordinal)).ToList();
        var api = await Rollup("viewpoint");
        Assert.Equal(api.Count, viewpoints.Count);
        for (var i = 0; i < api.Count; i++)
        {
            var cells = viewpoints[i].Split(',');
            Assert.Equal(api[i].GetProperty("key").GetString(), cells[1]);
            Assert.Equal(api[i].GetProperty("title").GetString(), cells[2]);
            Assert.Equal(api[i].GetProperty("total").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), cells[3]);
            Assert.Equal(api[i].GetProperty("draft").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), cells[4]);
        }

        Assert.Equal(lines.Length - 2, lines.Count(l => l.Split(',')[0] is "視点別" or "分野別" or "項目別" or "部局別" or "課別"));
    }

    [Fact]
    public async Task The_xlsx_export_has_one_sheet_per_grouping_read_back_cell_by_cell()
    {
        var bytes = await hq.GetByteArrayAsync(new Uri("/api/rollups/export?fiscalYear=2025&format=xlsx", UriKind.Relative));
        using var stream = new MemoryStream(bytes);

        var sheets = stream.GetSheetNames();

        Assert.Equal(["令和7年度 視点別", "令和7年度 分野別", "令和7年度 項目別", "令和7年度 部局別", "令和7年度 課別"], sheets);
        foreach (var (sheet, by) in sheets.Zip(new[] { "viewpoint", "area", "item", "department", "section" }))
        {
            var rows = stream.Query(useHeaderRow: true, sheetName: sheet).Cast<IDictionary<string, object>>().ToList();
            var api = await Rollup(by);
            Assert.Equal(api.Count, rows.Count);
            for (var i = 0; i < api.Count; i++)
            {
                Assert.Equal(api[i].GetProperty("key").GetString(), Convert.ToString(rows[i]["コード"], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(api[i].GetProperty("title").GetString(), rows[i]["名称"]);
                Assert.Equal(api[i].GetProperty("total").GetInt32(), Convert.ToInt32(rows[i]["合計"], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(api[i].GetProperty("draft").GetInt32(), Convert.ToInt32(rows[i]["作成中"], System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(api[i].GetProperty("overdue").GetInt32(), Convert.ToInt32(rows[i]["期限超過"], System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    [Fact]
    public async Task Year_over_year_lists_each_opened_year_with_its_label()
    {
        var years = (await hq.GetFromJsonAsync<JsonElement>("/api/rollups/years?by=department")).EnumerateArray().ToList();

        var year = Assert.Single(years);
        Assert.Equal((2025, "令和7年度"), (year.GetProperty("fiscalYear").GetInt32(), year.GetProperty("label").GetString()));
        Assert.Equal(await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Measures)),
            year.GetProperty("rows").EnumerateArray().Sum(r => r.GetProperty("total").GetInt32()));
    }

    [Fact]
    public async Task The_opening_refreshes_the_planner_statistics_of_the_tables_it_filled()
    {
        // The opening's event reaches the statistics consumer on both profiles, once.
        var opened = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            db.OutboxMessages.Where(m => m.MessageType == AomoriReform.Workflows.Messaging.ContractTypes.NameOf(typeof(AomoriReform.Contracts.CheckIns.CheckInOpened))).Select(m => m.MessageId)));
        await Eventually.Get(
            () => app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(
                db.ProcessedMessages.Where(p => p.MessageId == opened && p.Consumer == "PlannerStatistics"))),
            n => n == 1,
            because: "the check-in's event to reach the statistics consumer");
        if (profile != Profile.Production)
        {
            return;
        }

        // On PostgreSQL it ran ANALYZE on what the opening wrote: last_analyze is the ANALYZE command's
        // (autovacuum's own is last_autoanalyze), and a new test database has none.
        var analyzed = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(
            Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.SqlQueryRaw<string>(db.Database,
                "SELECT relname AS \"Value\" FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")));
        Assert.Subset(analyzed.ToHashSet(), new HashSet<string> { "progress_reports", "journal_entries", "work_tasks", "report_projections", "measures" });
        var estimated = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleAsync(
            Microsoft.EntityFrameworkCore.RelationalDatabaseFacadeExtensions.SqlQueryRaw<int>(db.Database,
                "SELECT reltuples::int AS \"Value\" FROM pg_class WHERE relname = 'progress_reports'")));
        Assert.Equal(await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.ProgressReports)), estimated);
    }

    [Fact]
    public async Task A_returned_report_notifies_its_drafters_who_mark_it_read()
    {
        var report = await app.WithDbAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstAsync(
            db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report").OrderBy(r => r.MeasureCode)));
        var staff = await app.SignedInAsync("gyosei-keiei.staff@demo.local");
        var chief = await app.SignedInAsync("gyosei-keiei.chief@demo.local");
        Assert.Equal(HttpStatusCode.OK, (await staff.PostAsJsonAsync($"/api/reports/{report.Id}/submit", new { version = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await chief.PostAsJsonAsync($"/api/reports/{report.Id}/return", new { version = 2, comment = "実績を追記してください" })).StatusCode);

        var notifications = await Eventually.Get(
            async () => (await staff.GetFromJsonAsync<JsonElement>("/api/notifications")).EnumerateArray().ToList(),
            list => list.Count > 0,
            because: "the returned notice");
        var notice = Assert.Single(notifications);
        Assert.Equal(("Returned", report.Id, false), (notice.GetProperty("kind").GetString(), notice.GetProperty("reportId").GetGuid(), notice.GetProperty("read").GetBoolean()));
        Assert.Contains("令和7年度", notice.GetProperty("text").GetString(), StringComparison.Ordinal);
        var id = notice.GetProperty("id").GetGuid();

        Assert.Equal(HttpStatusCode.NotFound, (await chief.PostAsync(new Uri($"/api/notifications/{id}/read", UriKind.Relative), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await staff.PostAsync(new Uri($"/api/notifications/{id}/read", UriKind.Relative), null)).StatusCode);
        Assert.True((await staff.GetFromJsonAsync<JsonElement>("/api/notifications"))[0].GetProperty("read").GetBoolean());
        Assert.Empty((await chief.GetFromJsonAsync<JsonElement>("/api/notifications")).EnumerateArray());
    }
}

public sealed class YearlyCycleApiTests_Embedded() : YearlyCycleApiTests(Profile.Embedded);

public sealed class YearlyCycleApiTests_Production() : YearlyCycleApiTests(Profile.Production);
