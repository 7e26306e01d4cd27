using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CsvHelper;
using CsvHelper.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.OpenData;

/// <summary>
/// The open data over HTTP on PostgreSQL, as a resident's program reads it: anonymous, published
/// years only, the CSV read back with CsvHelper, the JSON and the field dictionary agreeing with it,
/// nothing personal or internal in any byte, ETag and 304, and publishing as HQ does it.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class OpenDataApiTests : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";
    private const string InternalComment = "内部限り：根拠資料は庁内のみ";
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private TestDatabase database = null!;
    private ReformApp app = null!;
    private HttpClient anonymous = null!;
    private HttpClient admin = null!;
    private List<(Guid Id, string MeasureCode)> accepted = [];

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        app = new ReformApp(database, "Development", time: time);
        anonymous = app.CreateClient();
        admin = await app.SignedInAsync("hq.admin@demo.local");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
        var reports = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking()
            .Where(r => r.SectionCode == Section && r.RouteName == "progress-report" && r.FiscalYear == 2025)
            .OrderBy(r => r.MeasureCode).Select(r => new { r.Id, r.MeasureCode }).Take(2).ToListAsync());
        accepted = reports.Select(r => (r.Id, r.MeasureCode)).ToList();
        await AcceptAsync(accepted[0].Id, "OnTrack", "出先機関の見直しを4機関で行った。", 4);
        await AcceptAsync(accepted[1].Id, "Delayed", "調整に時間を要した,次年度に実施する。\n\"引用\"を含む。", null);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task AcceptAsync(Guid id, string progress, string achievements, decimal? actual)
    {
        using var staff = await app.SignedInAsync($"{Section}.staff@demo.local");
        using var chief = await app.SignedInAsync($"{Section}.chief@demo.local");
        using var hq = await app.SignedInAsync("hq.reviewer@demo.local");
        var indicators = actual is { } a ? new object[] { new { code = "1", actual = a } } : [];
        (await staff.PutAsJsonAsync($"/api/reports/{id}", new { version = 1, content = new { progress, achievements, nextSteps = "継続する", indicators } })).EnsureSuccessStatusCode();
        (await staff.PostAsJsonAsync($"/api/reports/{id}/submit", new { version = 2 })).EnsureSuccessStatusCode();
        (await chief.PostAsJsonAsync($"/api/reports/{id}/approve", new { version = 3, comment = InternalComment })).EnsureSuccessStatusCode();
        (await hq.PostAsJsonAsync($"/api/reports/{id}/accept", new { version = 4, comment = "受理します（内部）" })).EnsureSuccessStatusCode();
    }

    private Task<HttpResponseMessage> Publish(int year) => admin.PostAsJsonAsync("/api/publications", new { fiscalYear = year });

    [Fact]
    public async Task A_published_year_reads_back_as_CSV_JSON_and_a_field_dictionary_with_nothing_personal_or_internal()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(new Uri("/open-data/2025/progress.csv", UriKind.Relative))).StatusCode);
        Assert.Equal("[]", await anonymous.GetStringAsync(new Uri("/open-data", UriKind.Relative)));

        var published = await Publish(2025);
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        Assert.Equal("/open-data/2025/progress.json", published.Headers.Location?.OriginalString);

        var csvResponse = await anonymous.GetAsync(new Uri("/open-data/2025/progress.csv", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, csvResponse.StatusCode);
        Assert.Equal(("text/csv", "utf-8"), (csvResponse.Content.Headers.ContentType?.MediaType, csvResponse.Content.Headers.ContentType?.CharSet));
        var csvBytes = await csvResponse.Content.ReadAsByteArrayAsync();
        Assert.Equal(Encoding.UTF8.GetPreamble(), csvBytes[..3]);
        // As a program reads it: a reader that understands the BOM.
        using var text = new StreamReader(new MemoryStream(csvBytes), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        using var reader = new CsvReader(text, new CsvConfiguration(CultureInfo.InvariantCulture) { DetectDelimiter = false });
        var rows = reader.GetRecords<dynamic>().Cast<IDictionary<string, object>>().Select(r => r.ToDictionary(c => c.Key, c => (string)c.Value)).ToList();
        var header = reader.HeaderRecord!;

        Assert.Equal(2, rows.Count);
        Assert.Equal(["全国地方公共団体コード", "地方公共団体名", "年度", "視点コード", "視点"], header.Take(5));
        Assert.Contains("指標1_実績値", header);
        var first = rows[0];
        Assert.Equal(("020001", "青森県", "2025", accepted[0].MeasureCode), (first["全国地方公共団体コード"], first["地方公共団体名"], first["年度"], first["取組コード"]));
        Assert.Equal(("1", "1.1", "1.1.1"), (first["視点コード"], first["取組分野コード"], first["取組項目コード"]));
        Assert.Equal(("somu", "総務部", Section, "行政経営管理課"), (first["部局コード"], first["部局名"], first["担当課コード"], first["担当課名"]));
        Assert.Equal(("OnTrack", "順調", "出先機関の見直しを4機関で行った。"), (first["進捗状況コード"], first["進捗状況"], first["取組の実績"]));
        Assert.Equal(("1", "機関", "4", "4"), (first["指標1_コード"], first["指標1_単位"], first["指標1_目標値"], first["指標1_実績値"]));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}$", first["受理日"]);
        Assert.Equal(("Delayed", "遅れ", "調整に時間を要した,次年度に実施する。\n\"引用\"を含む。", ""), (rows[1]["進捗状況コード"], rows[1]["進捗状況"], rows[1]["取組の実績"], rows[1]["指標1_実績値"]));

        var json = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("/open-data/2025/progress.json", UriKind.Relative))).RootElement;
        Assert.Equal(2025, json.GetProperty("fiscalYear").GetInt32());
        Assert.EndsWith("Z", json.GetProperty("publishedAt").GetString(), StringComparison.Ordinal);
        var measures = json.GetProperty("measures").EnumerateArray().ToList();
        Assert.Equal(rows.Select(r => r["取組コード"]), measures.Select(m => m.GetProperty("measureCode").GetString()));
        Assert.Equal(rows.Select(r => r["取組の実績"]), measures.Select(m => m.GetProperty("achievements").GetString()));
        Assert.Equal(4m, measures[0].GetProperty("indicators")[0].GetProperty("actual").GetDecimal());

        var fields = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("/open-data/2025/fields.json", UriKind.Relative))).RootElement;
        Assert.Equal(header, fields.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("label").GetString()));
        Assert.All(fields.GetProperty("fields").EnumerateArray(), f =>
        {
            Assert.False(string.IsNullOrEmpty(f.GetProperty("name").GetString()));
            Assert.Contains(f.GetProperty("type").GetString(), new[] { "string", "integer", "decimal", "date" });
            Assert.False(string.IsNullOrEmpty(f.GetProperty("description").GetString()));
        });
        Assert.Equal("measureCode", fields.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("label").GetString() == "取組コード").GetProperty("name").GetString());

        var years = JsonDocument.Parse(await anonymous.GetStringAsync(new Uri("/open-data", UriKind.Relative))).RootElement;
        Assert.Equal((2025, "/open-data/2025/progress.csv", 2), (years[0].GetProperty("fiscalYear").GetInt32(), years[0].GetProperty("csv").GetString(), years[0].GetProperty("measures").GetInt32()));

        var everything = Encoding.UTF8.GetString(csvBytes) + json.GetRawText() + fields.GetRawText() + years.GetRawText();
        var people = await app.WithDbAsync(db => db.Users.Select(u => new { u.DisplayName, u.Email }).ToListAsync());
        Assert.True(people.Count > 10);
        Assert.All(people, person =>
        {
            Assert.DoesNotContain(person.DisplayName, everything, StringComparison.Ordinal);
            Assert.DoesNotContain(person.Email!, everything, StringComparison.OrdinalIgnoreCase);
        });
        Assert.DoesNotContain(InternalComment, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("受理します（内部）", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_carries_an_ETag_answers_304_and_is_cached_publicly_until_withdrawn()
    {
        Assert.Equal(HttpStatusCode.Created, (await Publish(2025)).StatusCode);
        var first = await anonymous.GetAsync(new Uri("/open-data/2025/progress.json", UriKind.Relative));
        var tag = first.Headers.ETag;

        Assert.NotNull(tag);
        Assert.Equal("public, max-age=300", first.Headers.CacheControl?.ToString());
        Assert.Equal("*", first.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.NotNull(first.Content.Headers.LastModified);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/open-data/2025/progress.json") { Headers = { IfNoneMatch = { tag } } };
        var notModified = await anonymous.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(tag, notModified.Headers.ETag);
        var csv = await anonymous.GetAsync(new Uri("/open-data/2025/progress.csv", UriKind.Relative));
        Assert.NotEqual(tag, csv.Headers.ETag);
        using var stale = new HttpRequestMessage(HttpMethod.Get, "/open-data/2025/progress.json") { Headers = { IfNoneMatch = { new EntityTagHeaderValue("\"other\"") } } };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(stale)).StatusCode);

        var twice = await Publish(2025);
        Assert.Equal(HttpStatusCode.Conflict, twice.StatusCode);
        Assert.Equal("application/problem+json", twice.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync(new Uri("/api/publications/2025", UriKind.Relative))).StatusCode);
        var gone = await anonymous.GetAsync(new Uri("/open-data/2025/progress.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync(new Uri("/api/publications/2025", UriKind.Relative))).StatusCode);

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(HttpStatusCode.Created, (await Publish(2025)).StatusCode);
        var republished = await anonymous.GetAsync(new Uri("/open-data/2025/progress.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, republished.StatusCode);
        Assert.NotEqual(tag, republished.Headers.ETag);
        var history = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/api/publications", UriKind.Relative))).RootElement;
        Assert.Equal([true, false], history.EnumerateArray().Select(p => p.GetProperty("current").GetBoolean()));
    }

    [Theory]
    [InlineData("/open-data/2025/progress.csv")]
    [InlineData("/open-data/2025/progress.json")]
    [InlineData("/open-data/2025/fields.json")]
    [InlineData("/open-data/2026/progress.csv")]
    [InlineData("/open-data/abc/progress.csv")]
    [InlineData("/open-data/2025/progress.xml")]
    public async Task A_year_that_is_not_published_is_not_found(string path)
    {
        var response = await anonymous.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

/// <summary>The anonymous files' rate limit per client address, with a small limit of its own.</summary>
[Collection(SharedHost.Name)]
public sealed class OpenDataRateLimitTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        app = new ReformApp(database, "Development", new Dictionary<string, string?> { ["OpenData:PermitsPerMinute"] = "5" });
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Past_the_limit_a_client_gets_429_with_Retry_After_on_the_files_and_on_the_residents_page()
    {
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await client.GetAsync(new Uri(i % 2 == 0 ? "/open-data" : "/open-data/2025/progress.csv", UriKind.Relative))).StatusCode);
        }

        var limited = await client.GetAsync(new Uri("/open-data/2025/progress.json", UriKind.Relative));
        var page = await client.GetAsync(new Uri("/kenmin", UriKind.Relative));
        // Signing in is not an open-data request: the limit is the open data's own.
        var signIn = await client.GetAsync(new Uri("/signin", UriKind.Relative));

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.OK], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.InRange(limited.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, 1, 60);
        Assert.Contains("Too many requests", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, page.StatusCode);
        Assert.NotNull(page.Headers.RetryAfter);
        Assert.Contains("しばらく待ってからお試しください", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
    }
}
