using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using UglyToad.PdfPig;

namespace AomoriReform.Tests.Records;

/// <summary>
/// Records through HTTP on PostgreSQL: attachments uploaded as multipart and downloaded with a
/// safe Content-Disposition whose Japanese name survives, the decision record PDF read back, a
/// correction after acceptance, the year's ZIP with its CSV index, and verification of the files.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class RecordApiTests : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private TestDatabase database = null!;
    private ReformApp app = null!;
    private HttpClient staff = null!;
    private HttpClient chief = null!;
    private HttpClient hq = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        app = new ReformApp(database, "Development", time: time);
        staff = await app.SignedInAsync($"{Section}.staff@demo.local");
        chief = await app.SignedInAsync($"{Section}.chief@demo.local");
        hq = await app.SignedInAsync("hq.reviewer@demo.local");
        using var admin = await app.SignedInAsync("hq.admin@demo.local");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private Task<Guid> ReportAsync(int index = 0) => app.WithDbAsync(db => db.ProgressReports
        .Where(r => r.SectionCode == Section && r.RouteName == "progress-report" && r.FiscalYear == 2025)
        .OrderBy(r => r.MeasureCode).Select(r => r.Id).Skip(index).FirstAsync());

    private Task<int> VersionAsync(Guid id) => app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());

    public static MultipartFormDataContent File(byte[] content, string fileName, string mediaType = "application/octet-stream")
    {
        var part = new ByteArrayContent(content);
        part.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return new MultipartFormDataContent { { part, "file", fileName } };
    }

    private async Task AcceptAsync(Guid id)
    {
        foreach (var (client, action) in new[] { (staff, "submit"), (chief, "approve"), (hq, "accept") })
        {
            var response = await client.PostAsJsonAsync($"/api/reports/{id}/{action}", new { version = await VersionAsync(id) });
            Assert.True(response.IsSuccessStatusCode, $"{action}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    [Fact]
    public async Task A_record_whose_period_ended_is_listed_refused_bad_decisions_by_field_and_transferred_leaving_410_behind()
    {
        var id = await ReportAsync(1);
        await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.RetentionClass, "1")));
        var created = await staff.PostAsync(new Uri($"/api/reports/{id}/attachments", UriKind.Relative), File(TestFiles.Pdf("根拠"), "根拠資料.pdf"));
        var attachmentId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await AcceptAsync(id);
        var admin = await app.SignedInAsync("hq.admin@demo.local");

        // Accepted in FY2026 with a 1-year class: kept until 31 March 2028, nothing due before.
        var kept = await admin.GetFromJsonAsync<JsonElement>($"/api/reports/{id}/retention");
        Assert.Equal(("kept", "2028-03-31"), (kept.GetProperty("state").GetString(), kept.GetProperty("retentionUntil").GetString()));
        var none = await admin.GetAsync(new Uri("/api/retention", UriKind.Relative));
        Assert.Equal("0", none.Headers.GetValues("X-Total-Count").Single());

        // Two years on (signed in again: the tokens have long expired).
        time.SetUtcNow(new DateTimeOffset(2028, 4, 2, 0, 0, 0, TimeSpan.Zero));
        admin.Dispose();
        admin = await app.SignedInAsync("hq.admin@demo.local");
        using var drafter = await app.SignedInAsync($"{Section}.staff@demo.local");
        var reviewed = await admin.PostAsync(new Uri("/api/retention/review", UriKind.Relative), null);
        Assert.True(reviewed.IsSuccessStatusCode, await reviewed.Content.ReadAsStringAsync());
        var review = await reviewed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, review.GetProperty("newlyDue").GetInt32());
        var due = await admin.GetAsync(new Uri("/api/retention?state=due", UriKind.Relative));
        Assert.Equal("1", due.Headers.GetValues("X-Total-Count").Single());
        Assert.Equal(id, (await due.Content.ReadFromJsonAsync<JsonElement[]>())!.Single().GetProperty("reportId").GetGuid());

        // Bad input names its field; a transfer before its package is refused; nothing changes.
        foreach (var (decision, body, field) in new (string, object, string)[] { ("extend", new { years = 0, reason = "監査" }, "years"), ("hold", new { reason = " " }, "reason") })
        {
            var refused = await admin.PostAsJsonAsync($"/api/reports/{id}/retention/{decision}", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.True((await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _), decision);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/reports/{id}/retention/transfer", new { })).StatusCode);
        var length = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.JournalLength).SingleAsync());

        // The package: a ZIP offered as a download under its Japanese name; its SHA-256 is what the transfer records.
        var package = await admin.GetAsync(new Uri($"/api/reports/{id}/retention/package", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, package.StatusCode);
        Assert.Equal("application/zip", package.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", package.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.StartsWith("移管_", package.Content.Headers.ContentDisposition?.FileNameStar, StringComparison.Ordinal);
        var zip = await package.Content.ReadAsByteArrayAsync();
        using (var archive = new ZipArchive(new MemoryStream(zip)))
        {
            Assert.Contains("files/01_根拠資料.pdf", archive.Entries.Select(e => e.FullName));
        }

        Assert.Equal(length, await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.JournalLength).SingleAsync()));
        var transferred = await admin.PostAsJsonAsync($"/api/reports/{id}/retention/transfer", new { reason = "令和10年4月2日 県公文書館へ引渡し" });
        Assert.Equal(HttpStatusCode.OK, transferred.StatusCode);
        var item = await transferred.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("transferred", Convert.ToHexStringLower(SHA256.HashData(zip))), (item.GetProperty("state").GetString(), item.GetProperty("packageSha256").GetString()));

        // What is left: 410 for the content's files and PDF, the report as a tombstone, a journal that verifies.
        foreach (var path in new[] { $"/api/reports/{id}/pdf", $"/api/reports/{id}/attachments/{attachmentId}?version=1", $"/api/reports/{id}/retention/package" })
        {
            var gone = await admin.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            Assert.Equal("application/problem+json", gone.Content.Headers.ContentType?.MediaType);
        }

        var report = await drafter.GetFromJsonAsync<JsonElement>($"/api/reports/{id}");
        Assert.Equal(("transferred", JsonValueKind.Null), (report.GetProperty("disposition").GetString(), report.GetProperty("content").GetProperty("achievements").ValueKind));
        Assert.Empty((await drafter.GetFromJsonAsync<JsonElement[]>($"/api/reports/{id}/attachments"))!);
        var verification = await admin.GetFromJsonAsync<JsonElement>("/api/audit/verify?files=true");
        Assert.True(verification.GetProperty("valid").GetBoolean(), verification.ToString());
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync($"/api/reports/{id}/retention/dispose", new { })).StatusCode);
        admin.Dispose();
    }

    [Fact]
    public async Task A_file_with_a_Japanese_name_goes_up_as_multipart_and_comes_back_as_a_safe_download()
    {
        var id = await ReportAsync();
        var pdf = TestFiles.Pdf("根拠");
        // The client claims a type; the server tells it from the content and ignores the claim.
        var created = await staff.PostAsync(new Uri($"/api/reports/{id}/attachments", UriKind.Relative), File(pdf, TestFiles.JapaneseName, "text/html"));
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var attachmentId = body.GetProperty("id").GetGuid();
        Assert.Equal($"/api/reports/{id}/attachments/{attachmentId}", created.Headers.Location?.OriginalString);
        Assert.Equal(TestFiles.JapaneseName, body.GetProperty("fileName").GetString());
        Assert.Equal("application/pdf", body.GetProperty("contentType").GetString());
        Assert.Equal(pdf.Length, body.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(pdf)), body.GetProperty("sha256").GetString());
        Assert.Equal(1, body.GetProperty("version").GetInt32());
        Assert.EndsWith("Z", body.GetProperty("uploadedAt").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(body.GetProperty("uploadedBy").GetString()));

        var listed = await chief.GetFromJsonAsync<JsonElement[]>($"/api/reports/{id}/attachments");
        Assert.Equal(attachmentId, Assert.Single(listed!).GetProperty("id").GetGuid());

        var download = await chief.GetAsync(new Uri($"/api/reports/{id}/attachments/{attachmentId}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(pdf, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/pdf", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        var disposition = download.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal(TestFiles.JapaneseName, disposition.FileNameStar);
        Assert.True(disposition.FileName!.Trim('"').All(c => c is > ' ' and < '\u007f' and not ('"' or '\\' or ';')), disposition.FileName);
        Assert.EndsWith(".pdf", disposition.FileName.Trim('"'), StringComparison.Ordinal);
        Assert.Contains("filename*=UTF-8''", download.Content.Headers.GetValues("Content-Disposition").Single(), StringComparison.Ordinal);

        // A replacement is version 2; version 1 stays readable by number.
        var replaced = await staff.PutAsync(new Uri($"/api/reports/{id}/attachments/{attachmentId}", UriKind.Relative), File(TestFiles.Csv(), "実績（訂正）.csv"));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(2, (await replaced.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());
        Assert.Equal(pdf, await staff.GetByteArrayAsync(new Uri($"/api/reports/{id}/attachments/{attachmentId}?version=1", UriKind.Relative)));
        var csv = await staff.GetAsync(new Uri($"/api/reports/{id}/attachments/{attachmentId}", UriKind.Relative));
        Assert.Equal("text/csv; charset=utf-8", csv.Content.Headers.ContentType?.ToString());
        Assert.Equal("実績（訂正）.csv", csv.Content.Headers.ContentDisposition?.FileNameStar);
        Assert.Equal(2, (await staff.GetFromJsonAsync<JsonElement[]>($"/api/reports/{id}/attachments/{attachmentId}/versions"))!.Length);

        // Somebody of another section does not see the report, nor its files.
        using var other = await app.SignedInAsync("kikaku-chosei.staff@demo.local");
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(new Uri($"/api/reports/{id}/attachments/{attachmentId}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(new Uri($"/api/reports/{id}/pdf", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task The_decision_record_PDF_reads_back_with_its_files_corrections_and_journal_head()
    {
        var id = await ReportAsync(1);
        var saved = await staff.PutAsJsonAsync($"/api/reports/{id}", new { version = await VersionAsync(id), content = new { progress = "MostlyOnTrack", achievements = "行政手続のオンライン化を進めた。", nextSteps = "対象を広げる。" } });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var file = await (await staff.PostAsync(new Uri($"/api/reports/{id}/attachments", UriKind.Relative), File(TestFiles.Csv(), "指標の集計.csv"))).Content.ReadFromJsonAsync<JsonElement>();
        await AcceptAsync(id);
        Assert.Equal(HttpStatusCode.Conflict, (await staff.PostAsync(new Uri($"/api/reports/{id}/attachments", UriKind.Relative), File(TestFiles.Pdf(), "受理後.pdf"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.PostAsJsonAsync($"/api/reports/{id}/corrections", new { text = "担当の修正" })).StatusCode);
        var corrected = await hq.PostAsJsonAsync($"/api/reports/{id}/corrections", new { text = "指標の単位の誤記を訂正する。" });
        Assert.Equal(HttpStatusCode.Created, corrected.StatusCode);
        var corrections = await staff.GetFromJsonAsync<JsonElement[]>($"/api/reports/{id}/corrections");
        Assert.Equal("指標の単位の誤記を訂正する。", Assert.Single(corrections!).GetProperty("text").GetString());

        var response = await staff.GetAsync(new Uri($"/api/reports/{id}/pdf", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.StartsWith("決裁文書_", disposition.FileNameStar, StringComparison.Ordinal);
        Assert.EndsWith("_令和7年度.pdf", disposition.FileNameStar, StringComparison.Ordinal);
        Assert.Matches("^\"?decision-record_[0-9.\\-]+_FY2025\\.pdf\"?$", disposition.FileName);

        var head = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => new { r.JournalHead, r.MeasureCode }).SingleAsync());
        using var document = PdfDocument.Open(await response.Content.ReadAsByteArrayAsync());
        var text = string.Concat(document.GetPages().Select(p => p.Text)).RemoveWhitespace();
        Assert.Contains("進捗報告決裁文書", text, StringComparison.Ordinal);
        Assert.Contains(head.MeasureCode, text, StringComparison.Ordinal);
        Assert.Contains("受理済", text, StringComparison.Ordinal);
        Assert.Contains("行政手続のオンライン化を進めた。", text, StringComparison.Ordinal);
        Assert.Contains("指標の集計.csv", text, StringComparison.Ordinal);
        Assert.Contains(file.GetProperty("sha256").GetString()!, text, StringComparison.Ordinal);
        Assert.Contains("指標の単位の誤記を訂正する。", text, StringComparison.Ordinal);
        Assert.Contains(head.JournalHead, text, StringComparison.Ordinal);

        using var auditor = await app.SignedInAsync("auditor@demo.local");
        var verify = await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify?files=true");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        Assert.True(verify.GetProperty("filesRehashed").GetBoolean());
        Assert.Equal(1, verify.GetProperty("attachmentsChecked").GetInt32());
    }

    [Fact]
    public async Task A_fiscal_year_exports_as_a_ZIP_of_PDFs_with_a_CSV_index()
    {
        var accepted = await ReportAsync(2);
        await staff.PostAsync(new Uri($"/api/reports/{accepted}/attachments", UriKind.Relative), File(TestFiles.Png(), "グラフ.png"));
        await AcceptAsync(accepted);
        var code = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == accepted).Select(r => r.MeasureCode).SingleAsync());

        Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync(new Uri("/api/records/2025/export", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await hq.GetAsync(new Uri("/api/records/2030/export", UriKind.Relative))).StatusCode);
        var response = await hq.GetAsync(new Uri("/api/records/2025/export", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("決裁文書_令和7年度.zip", response.Content.Headers.ContentDisposition?.FileNameStar);

        using var zip = new ZipArchive(new MemoryStream(await response.Content.ReadAsByteArrayAsync()), ZipArchiveMode.Read);
        Assert.Equal([$"{code}.pdf", "index.csv"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        byte[] pdf;
        await using (var stream = await zip.GetEntry($"{code}.pdf")!.OpenAsync())
        using (var copy = new MemoryStream())
        {
            await stream.CopyToAsync(copy);
            pdf = copy.ToArray();
        }

        string index;
        await using (var stream = await zip.GetEntry("index.csv")!.OpenAsync())
        using (var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
        {
            index = await reader.ReadToEndAsync();
        }

        var lines = index.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("file,measure_code,measure_title,department,section,status", lines[0], StringComparison.Ordinal);
        var row = Assert.Single(lines.Skip(1));
        Assert.StartsWith($"{code}.pdf,{code},", row, StringComparison.Ordinal);
        Assert.Contains(",受理済,", row, StringComparison.Ordinal);
        Assert.EndsWith(Convert.ToHexStringLower(SHA256.HashData(pdf)), row, StringComparison.Ordinal);
        using var document = PdfDocument.Open(pdf);
        Assert.Contains("グラフ.png", string.Concat(document.GetPages().Select(p => p.Text)).RemoveWhitespace(), StringComparison.Ordinal);
    }
}
