using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Demo;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Reminders;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Identity;

/// <summary>
/// Every endpoint x every role x own section / other section / HQ, with the exact status, on
/// PostgreSQL. The endpoint list is the app's own endpoint data source: an endpoint that is not
/// in the matrix, or that names no policy, fails the test.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    private const string OwnSection = "gyosei-keiei";
    private const string OwnDepartment = "somu";
    private const string OtherSection = "kikaku-chosei";
    private const string OtherDepartment = "kikaku-seisaku";

    /// <summary>The callers: nobody, the drafting section, another department, a head each side, HQ, read-only roles.</summary>
    private static readonly string[] Callers =
        ["anonymous", "own.staff", "own.chief", "other.staff", "other.chief", "own.head", "other.head", "hq.reviewer", "hq.admin", "committee", "auditor"];

    /// <summary>Who sees a report of the own section: its section, its department's head, HQ and the read-only roles.</summary>
    private static readonly string[] SeeOwnReports = ["own.staff", "own.chief", "own.head", "hq.reviewer", "hq.admin", "committee", "auditor"];

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, HttpClient> clients = [];
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        app = new ReformApp(database, "Development", time: time);
        foreach (var caller in Callers)
        {
            // Redirects are not followed: a page sends an anonymous caller to the sign-in page, and that is what is checked.
            clients[caller] = caller == "anonymous"
                ? app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false })
                : await app.SignedInAsync($"{Email(caller)}");
        }

        Assert.Equal(HttpStatusCode.Created, (await clients["hq.admin"].PostAsJsonAsync("/api/checkins", new { fiscalYear = 2024, dueDate = "2026-05-29" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await clients["hq.admin"].PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private static string Email(string caller) => caller switch
    {
        "own.staff" => $"{OwnSection}.staff@demo.local",
        "own.chief" => $"{OwnSection}.chief@demo.local",
        "other.staff" => $"{OtherSection}.staff@demo.local",
        "other.chief" => $"{OtherSection}.chief@demo.local",
        "own.head" => $"{OwnDepartment}.head@demo.local",
        "other.head" => $"{OtherDepartment}.head@demo.local",
        _ => $"{caller}@demo.local",
    };

    /// <summary>One row of the matrix: an endpoint, a request for a caller, and the status each caller must get.</summary>
    private sealed record Row(string Endpoint, Func<string, Task<HttpRequestMessage>> Request, Func<string, HttpStatusCode> Expected);

    private static Func<string, HttpStatusCode> Everyone(HttpStatusCode status) => caller => caller == "anonymous" ? HttpStatusCode.Unauthorized : status;

    private static Func<string, HttpStatusCode> Anyone(HttpStatusCode status) => _ => status;

    /// <summary>A page: the anonymous caller is sent to the sign-in page; the others get what the page's policy and rules give them.</summary>
    private static Func<string, HttpStatusCode> Page(Func<string, HttpStatusCode> signedIn) => caller => caller == "anonymous" ? HttpStatusCode.Redirect : signedIn(caller);

    private static Func<string, HttpStatusCode> Only(HttpStatusCode status, params string[] roles) => caller =>
        caller == "anonymous" ? HttpStatusCode.Unauthorized : roles.Contains(caller) ? status : HttpStatusCode.Forbidden;

    /// <summary>A report of the own section: 404 for whoever may not see it, 403 for whoever sees it but may not do this.</summary>
    private static Func<string, HttpStatusCode> OnOwnReport(HttpStatusCode status, params string[] allowed) => caller =>
        caller == "anonymous" ? HttpStatusCode.Unauthorized
        : allowed.Contains(caller) ? status
        : SeeOwnReports.Contains(caller) ? HttpStatusCode.Forbidden
        : HttpStatusCode.NotFound;

    private static Task<HttpRequestMessage> Get(string path) => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, path));

    private static Task<HttpRequestMessage> Post(string path, object? body = null) =>
        Task.FromResult(new HttpRequestMessage(HttpMethod.Post, path) { Content = body is null ? null : JsonContent.Create(body) });

    private static Task<HttpRequestMessage> PostFile(string path, byte[] file, string mediaType) =>
        Task.FromResult(new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(file) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } } });

    /// <summary>The shipped standard route as its next version (3).</summary>
    private static byte[] NextRouteVersion() => System.Text.Encoding.UTF8.GetBytes(AomoriReform.Workflows.Engine.RouteDefinitionLoader.ShippedFiles()
        .Single(f => f.FileName == "progress-report.v2.yaml").Yaml.Replace("version: 2", "version: 3", StringComparison.Ordinal));

    /// <summary>The shipped approval rules as their next version (2).</summary>
    private static byte[] NextRulesVersion() => System.Text.Encoding.UTF8.GetBytes(AomoriReform.Workflows.Engine.ApprovalRulesLoader.ShippedFiles()
        .Single().Yaml.Replace("version: 1", "version: 2", StringComparison.Ordinal).Replace("effectiveFrom: 2025-04-01", "effectiveFrom: 2027-04-01", StringComparison.Ordinal));
    private static MultipartFormDataContent PdfFile(string name) =>
        new() { { new ByteArrayContent(TestFiles.Pdf(name)) { Headers = { ContentType = new MediaTypeHeaderValue("application/pdf") } }, "file", name } };
    private async Task<Guid> AttachAsync(Guid report, string name)
    {
        var response = await clients["own.staff"].PostAsync(new Uri($"/api/reports/{report}/attachments", UriKind.Relative), PdfFile(name));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
    }

    private Task<int> VersionOf(Guid id) => app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());

    private Func<string, Task<HttpRequestMessage>> Action(Guid id, string action) => async _ =>
        new HttpRequestMessage(HttpMethod.Post, $"/api/reports/{id}/{action}") { Content = JsonContent.Create(new { version = await VersionOf(id), comment = "matrix" }) };

    private async Task<Guid[]> OwnReportsAsync() => await app.WithDbAsync(db => db.ProgressReports.AsNoTracking()
        .Where(r => r.SectionCode == OwnSection && r.RouteName == "progress-report")
        .OrderBy(r => r.FiscalYear).ThenBy(r => r.MeasureCode).Select(r => r.Id).ToArrayAsync());

    private async Task Drive(string caller, Guid id, string action)
    {
        var response = await clients[caller].SendAsync(await Action(id, action)(caller));
        Assert.True(response.IsSuccessStatusCode, $"{caller} {action}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task Every_endpoint_answers_every_role_with_the_contracted_status()
    {
        // Reports of the own section in each state an action needs.
        var reports = await OwnReportsAsync();
        Assert.True(reports.Length >= 10, $"the sample plan gives {OwnSection} {reports.Length} standard-route reports in two years");
        var (read, edit, submit, recall, approve, sendBack, accept) = (reports[0], reports[1], reports[2], reports[3], reports[4], reports[5], reports[6]);
        foreach (var id in new[] { recall, approve, sendBack, accept })
        {
            await Drive("own.staff", id, "submit");
        }

        await Drive("own.chief", accept, "approve");
        var ownStaffId = await app.WithDbAsync(db => db.Users.Where(u => u.Email == Email("own.staff")).Select(u => u.Id).SingleAsync());
        var notification = Guid.NewGuid();
        await app.WithDbAsync(db =>
        {
            db.Notifications.Add(new Notification { Id = notification, UserId = ownStaffId, At = time.GetUtcNow().UtcDateTime, Kind = NotificationKind.Reminder, ReportId = read, Text = "matrix" });
            return db.SaveChangesAsync();
        });

        var appointed = await clients["own.chief"].PostAsJsonAsync("/api/deputies", new { deputyEmail = Email("own.staff"), from = "2026-04-10", to = "2026-04-20" });
        Assert.Equal(HttpStatusCode.Created, appointed.StatusCode);
        var appointment = (await appointed.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();

        // A report at the chief's step (comments), and one the own staff decided as the chief's deputy (代決): the chief's 後閲.
        var (commented, reviewed) = (reports[7], reports[8]);
        await Drive("own.staff", commented, "submit");
        var assistant = await app.SignedInAsync(DemoAccounts.SectionDeputy(OwnSection));
        Assert.True((await assistant.PostAsJsonAsync($"/api/reports/{reviewed}/submit", new { version = await VersionOf(reviewed) })).IsSuccessStatusCode);
        await Drive("own.staff", reviewed, "approve");
        Assert.Equal(1, await app.WithDbAsync(db => db.WorkTasks.CountAsync(t => t.ReportId == reviewed && t.Kind == AomoriReform.Workflows.Engine.WorkTaskKind.PostReview)));

        // Two files on the report being edited: one to read and replace, one to delete.
        var (attachment, doomed) = (await AttachAsync(edit, "根拠資料.pdf"), await AttachAsync(edit, "削除する資料.pdf"));

        string[] readers = ["hq.reviewer", "hq.admin", "committee", "auditor"];
        var opinionWritten = await clients["committee"].PostAsJsonAsync("/api/opinions", new { fiscalYear = 2024, text = "matrix" });
        Assert.Equal(HttpStatusCode.Created, opinionWritten.StatusCode);
        var opinion = (await opinionWritten.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
        string[] appointers = ["own.chief", "other.chief", "own.head", "other.head"];
        var rows = new List<Row>
        {
            new("POST /api/auth/login", _ => Post("/api/auth/login", new { }), Anyone(HttpStatusCode.BadRequest)),
            new("POST /api/auth/refresh", _ => Post("/api/auth/refresh", new { refreshToken = "forged" }), Anyone(HttpStatusCode.Unauthorized)),
            new("GET /api/auth/providers", _ => Get("/api/auth/providers"), Anyone(HttpStatusCode.OK)),
            new("GET /api/auth/antiforgery", _ => Get("/api/auth/antiforgery"), Everyone(HttpStatusCode.OK)),
            new("GET /api/me", _ => Get("/api/me"), Everyone(HttpStatusCode.OK)),
            new("GET /api/plan/", _ => Get("/api/plan"), Everyone(HttpStatusCode.OK)),
            new("GET /api/plan/export", _ => Get("/api/plan/export"), Everyone(HttpStatusCode.OK)),
            new("POST /api/plan/import", _ => PostFile("/api/plan/import?dryRun=true", SampleFiles.Plan(), "application/yaml"), Only(HttpStatusCode.OK, "hq.admin")),
            new("POST /api/org/import", _ => PostFile("/api/org/import?dryRun=true", SampleFiles.Organisation(), "text/csv"), Only(HttpStatusCode.OK, "hq.admin")),
            new("GET /api/checkins/", _ => Get("/api/checkins"), Everyone(HttpStatusCode.OK)),
            // The year is open already: HQ admins get past the policy to the 409.
            new("POST /api/checkins/", _ => Post("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" }), Only(HttpStatusCode.Conflict, "hq.admin")),
            new("GET /api/reports/", _ => Get("/api/reports?fiscalYear=2025"), Everyone(HttpStatusCode.OK)),
            new("GET /api/reports/{id:guid}", _ => Get($"/api/reports/{read}"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("GET /api/reports/{id:guid}/history", _ => Get($"/api/reports/{read}/history"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("PUT /api/reports/{id:guid}", async _ => new HttpRequestMessage(HttpMethod.Put, $"/api/reports/{edit}")
            {
                Content = JsonContent.Create(new { version = await VersionOf(edit), content = new { progress = "OnTrack", achievements = "matrix" } }),
            }, OnOwnReport(HttpStatusCode.OK, "own.staff")),
            new("POST /api/reports/{id:guid}/{action} submit", Action(submit, "submit"), OnOwnReport(HttpStatusCode.OK, "own.staff")),
            new("POST /api/reports/{id:guid}/{action} recall", Action(recall, "recall"), OnOwnReport(HttpStatusCode.OK, "own.staff")),
            new("POST /api/reports/{id:guid}/{action} approve", Action(approve, "approve"), OnOwnReport(HttpStatusCode.OK, "own.chief")),
            new("POST /api/reports/{id:guid}/{action} return", Action(sendBack, "return"), OnOwnReport(HttpStatusCode.OK, "own.chief")),
            new("POST /api/reports/{id:guid}/{action} accept", Action(accept, "accept"), OnOwnReport(HttpStatusCode.OK, "hq.reviewer")),
            // Records: files change while the report is editable, by whoever may save it; everyone who sees it reads them.
            new("POST /api/reports/{id:guid}/attachments", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Post, $"/api/reports/{edit}/attachments") { Content = PdfFile("追加.pdf") }),
                OnOwnReport(HttpStatusCode.Created, "own.staff")),
            new("GET /api/reports/{id:guid}/attachments", _ => Get($"/api/reports/{edit}/attachments"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("GET /api/reports/{id:guid}/attachments/{attachmentId:guid}", _ => Get($"/api/reports/{edit}/attachments/{attachment}"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("GET /api/reports/{id:guid}/attachments/{attachmentId:guid}/versions", _ => Get($"/api/reports/{edit}/attachments/{attachment}/versions"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("PUT /api/reports/{id:guid}/attachments/{attachmentId:guid}", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Put, $"/api/reports/{edit}/attachments/{attachment}") { Content = PdfFile("差替.pdf") }),
                OnOwnReport(HttpStatusCode.OK, "own.staff")),
            new("DELETE /api/reports/{id:guid}/attachments/{attachmentId:guid}", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Delete, $"/api/reports/{edit}/attachments/{doomed}")),
                OnOwnReport(HttpStatusCode.NoContent, "own.staff")),
            // 軽微な修正 on the report HQ has just accepted: HQ only; whoever else sees it may not (403).
            new("POST /api/reports/{id:guid}/corrections", _ => Post($"/api/reports/{accept}/corrections", new { text = "matrix" }), OnOwnReport(HttpStatusCode.Created, "hq.reviewer", "hq.admin")),
            new("GET /api/reports/{id:guid}/corrections", _ => Get($"/api/reports/{accept}/corrections"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("GET /api/reports/{id:guid}/pdf", _ => Get($"/api/reports/{accept}/pdf"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("GET /api/records/{fiscalYear:int}/export", _ => Get("/api/records/2025/export"), Only(HttpStatusCode.OK, readers)),
            // 保存期間: HQ and auditors read; HqAdmin decides. A report still in its route is no record yet (404 to readers, 409 to a decision).
            new("GET /api/retention", _ => Get("/api/retention?state=kept"), Only(HttpStatusCode.OK, "hq.reviewer", "hq.admin", "auditor")),
            new("POST /api/retention/review", _ => Post("/api/retention/review"), Only(HttpStatusCode.OK, "hq.admin")),
            new("GET /api/reports/{id:guid}/retention", _ => Get($"/api/reports/{read}/retention"), Only(HttpStatusCode.NotFound, "hq.reviewer", "hq.admin", "auditor")),
            new("POST /api/reports/{id:guid}/retention/{decision}", _ => Post($"/api/reports/{read}/retention/hold", new { reason = "matrix" }), Only(HttpStatusCode.Conflict, "hq.admin")),
            new("GET /api/reports/{id:guid}/retention/package", _ => Get($"/api/reports/{read}/retention/package"), Only(HttpStatusCode.Conflict, "hq.admin")),
            // 意見 at the chief's step: the chief, and the own staff as the chief's deputy today.
            new("POST /api/reports/{id:guid}/comments", _ => Post($"/api/reports/{commented}/comments", new { text = "matrix" }), OnOwnReport(HttpStatusCode.Created, "own.chief", "own.staff")),
            new("GET /api/reports/{id:guid}/comments", _ => Get($"/api/reports/{commented}/comments"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("GET /api/reports/{id:guid}/submissions", _ => Get($"/api/reports/{commented}/submissions"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            new("GET /api/reports/{id:guid}/changes", _ => Get($"/api/reports/{commented}/changes"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            // 後閲 is the principal's own: whoever else sees the report has nothing to review on it (409).
            new("POST /api/reports/{id:guid}/post-review", _ => Post($"/api/reports/{reviewed}/post-review", new { comment = "matrix" }),
                caller => caller == "anonymous" ? HttpStatusCode.Unauthorized : caller == "own.chief" ? HttpStatusCode.OK
                    : SeeOwnReports.Contains(caller) ? HttpStatusCode.Conflict : HttpStatusCode.NotFound),
            // One request, one outcome per item: whoever is signed in gets 200, and each item says done, forbidden or notFound.
            new("POST /api/reports/bulk/{action}", async _ => new HttpRequestMessage(HttpMethod.Post, "/api/reports/bulk/approve")
            {
                Content = JsonContent.Create(new { items = new[] { new { id = commented, version = await VersionOf(commented) } } }),
            }, Everyone(HttpStatusCode.OK)),
            new("GET /api/post-reviews", _ => Get("/api/post-reviews"), Only(HttpStatusCode.OK, readers)),
            // The committee's opinions: members write, HQ answers, HQ readers list; a report's previous-year opinions follow its visibility.
            new("POST /api/opinions/", _ => Post("/api/opinions", new { fiscalYear = 2025, itemCode = "1.1.1", text = "matrix" }), Only(HttpStatusCode.Created, "committee")),
            new("POST /api/opinions/{id:guid}/response", _ => Post($"/api/opinions/{opinion}/response", new { text = "matrix" }), Only(HttpStatusCode.OK, "hq.reviewer", "hq.admin")),
            new("GET /api/opinions/", _ => Get("/api/opinions?fiscalYear=2024&unanswered=true"), Only(HttpStatusCode.OK, readers)),
            new("GET /api/reports/{id:guid}/previous-opinions", _ => Get($"/api/reports/{read}/previous-opinions"), OnOwnReport(HttpStatusCode.OK, SeeOwnReports)),
            // Publishing: HQ admins get past the policy to the 400 (a year outside the plan) and the 404 (a year not published); nothing changes.
            new("POST /api/publications/", _ => Post("/api/publications", new { fiscalYear = 2099 }), Only(HttpStatusCode.BadRequest, "hq.admin")),
            new("DELETE /api/publications/{fiscalYear:int}", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Delete, "/api/publications/2024")), Only(HttpStatusCode.NotFound, "hq.admin")),
            new("GET /api/publications/", _ => Get("/api/publications"), Only(HttpStatusCode.OK, readers)),
            // The open data is anonymous, published years only.
            new("GET /open-data/", _ => Get("/open-data"), Anyone(HttpStatusCode.OK)),
            new("GET /open-data/{fiscalYear:int}/progress.csv", _ => Get("/open-data/2025/progress.csv"), Anyone(HttpStatusCode.NotFound)),
            new("GET /open-data/{fiscalYear:int}/progress.json", _ => Get("/open-data/2025/progress.json"), Anyone(HttpStatusCode.NotFound)),
            new("GET /open-data/{fiscalYear:int}/fields.json", _ => Get("/open-data/2025/fields.json"), Anyone(HttpStatusCode.NotFound)),
            new("GET /open-data/{**rest}", _ => Get("/open-data/2025/secret.txt"), Anyone(HttpStatusCode.NotFound)),
            new("GET /api/inbox", _ => Get("/api/inbox"), Everyone(HttpStatusCode.OK)),
            new("GET /api/audit/verify", _ => Get("/api/audit/verify"), Only(HttpStatusCode.OK, "auditor", "hq.admin")),
            // An invalid appointment: appointers get past the policy to the 400, nothing is stored.
            new("POST /api/deputies/", _ => Post("/api/deputies", new { deputyEmail = "", from = "2026-04-10", to = "2026-04-20" }), Only(HttpStatusCode.BadRequest, appointers)),
            new("GET /api/deputies/", _ => Get("/api/deputies"), Everyone(HttpStatusCode.OK)),
            // The own chief's appointment: the principal and HQ admins end it, its deputy may not (403), nobody else sees it (404).
            new("DELETE /api/deputies/{id:guid}", _ => Task.FromResult(new HttpRequestMessage(HttpMethod.Delete, $"/api/deputies/{appointment}")),
                caller => caller switch
                {
                    "anonymous" => HttpStatusCode.Unauthorized,
                    "own.chief" or "hq.admin" => HttpStatusCode.NoContent,
                    "own.staff" => HttpStatusCode.Forbidden,
                    _ => HttpStatusCode.NotFound,
                }),
            new("POST /api/audit/checkpoints", _ => Post("/api/audit/checkpoints"), Only(HttpStatusCode.Created, "hq.admin")),
            new("GET /api/workflows/", _ => Get("/api/workflows"), Everyone(HttpStatusCode.OK)),
            new("GET /api/workflows/{name}/versions/{version:int}/diagram", _ => Get("/api/workflows/progress-report/versions/1/diagram"), Everyone(HttpStatusCode.OK)),
            new("GET /api/workflows/{name}/versions/{version:int}", _ => Get("/api/workflows/progress-report/versions/1"), Everyone(HttpStatusCode.OK)),
            // A dry run of the next version: checked and previewed, nothing stored.
            new("POST /api/workflows/", _ => PostFile("/api/workflows?dryRun=true", NextRouteVersion(), "application/yaml"), Only(HttpStatusCode.OK, "hq.admin")),
            // Version 2 stays active, so HQ admins may retire version 1 (running reports are on version 2).
            new("POST /api/workflows/{name}/versions/{version:int}/retire", _ => Post("/api/workflows/progress-report/versions/1/retire"), Only(HttpStatusCode.OK, "hq.admin")),
            new("GET /api/approval-rules/", _ => Get("/api/approval-rules"), Everyone(HttpStatusCode.OK)),
            new("GET /api/approval-rules/{name}/versions/{version:int}", _ => Get("/api/approval-rules/approval-rules/versions/1"), Everyone(HttpStatusCode.OK)),
            new("POST /api/approval-rules/", _ => PostFile("/api/approval-rules?dryRun=true", NextRulesVersion(), "application/yaml"), Only(HttpStatusCode.OK, "hq.admin")),
            // No version 9: HQ admins get past the policy to the 404, nothing changes.
            new("POST /api/approval-rules/{name}/versions/{version:int}/retire", _ => Post("/api/approval-rules/approval-rules/versions/9/retire"), Only(HttpStatusCode.NotFound, "hq.admin")),
            new("GET /api/rollups/", _ => Get("/api/rollups?fiscalYear=2025&by=section"), Only(HttpStatusCode.OK, readers)),
            new("GET /api/rollups/export", _ => Get("/api/rollups/export?fiscalYear=2025&format=csv"), Only(HttpStatusCode.OK, readers)),
            new("GET /api/rollups/years", _ => Get("/api/rollups/years"), Only(HttpStatusCode.OK, readers)),
            new("POST /api/rollups/rebuild", _ => Post("/api/rollups/rebuild?fiscalYear=2025"), Only(HttpStatusCode.OK, "hq.admin")),
            new("GET /api/notifications/", _ => Get("/api/notifications"), Everyone(HttpStatusCode.OK)),
            // Somebody else's notification does not exist for the caller.
            new("POST /api/notifications/{id:guid}/read", _ => Post($"/api/notifications/{notification}/read"),
                caller => caller == "anonymous" ? HttpStatusCode.Unauthorized : caller == "own.staff" ? HttpStatusCode.NoContent : HttpStatusCode.NotFound),
            new("* /hangfire/{**path}", _ => Get("/hangfire"), Only(HttpStatusCode.OK, "hq.admin")),
            new("* /health/live", _ => Get("/health/live"), Anyone(HttpStatusCode.OK)),
            new("* /health/ready", _ => Get("/health/ready"), Anyone(HttpStatusCode.OK)),
            new("GET /openapi/{documentName}.json", _ => Get("/openapi/v1.json"), Anyone(HttpStatusCode.OK)),
            new("GET /scalar/{documentName?}", _ => Get("/scalar/v1"), Anyone(HttpStatusCode.OK)),
            new("GET /scalar/scalar.js", _ => Get("/scalar/scalar.js"), Anyone(HttpStatusCode.OK)),
            new("GET /scalar/scalar.aspnetcore.js", _ => Get("/scalar/scalar.aspnetcore.js"), Anyone(HttpStatusCode.OK)),
            new("GET /scalar/favicon.svg", _ => Get("/scalar/favicon.svg"), Anyone(HttpStatusCode.OK)),
            // The web UI's pages, under the same policies: an anonymous caller is sent to sign in (302; the
            // signed-in clients follow redirects, so a page that redirects them answers with where it leads).
            new("GET,POST /", _ => Get("/"), Page(_ => HttpStatusCode.OK)),
            new("GET,POST /signin", _ => Get("/signin"), Anyone(HttpStatusCode.OK)),
            new("GET,POST /inbox", _ => Get("/inbox"), Page(_ => HttpStatusCode.OK)),
            new("GET,POST /reports", _ => Get("/reports?fy=2025"), Page(_ => HttpStatusCode.OK)),
            new("GET,POST /reports/{Id:guid}", _ => Get($"/reports/{read}"), Page(caller => SeeOwnReports.Contains(caller) ? HttpStatusCode.OK : HttpStatusCode.NotFound)),
            new("GET,POST /reports/{Id:guid}/edit", _ => Get($"/reports/{read}/edit"), Page(caller => SeeOwnReports.Contains(caller) ? HttpStatusCode.OK : HttpStatusCode.NotFound)),
            new("GET,POST /notifications", _ => Get("/notifications"), Page(_ => HttpStatusCode.OK)),
            new("GET,POST /deputies", _ => Get("/deputies"), Page(_ => HttpStatusCode.OK)),
            new("GET,POST /committee", _ => Get("/committee?fy=2024"), Page(caller => caller is "committee" or "hq.reviewer" or "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /kenmin", _ => Get("/kenmin"), Anyone(HttpStatusCode.OK)),
            new("GET,POST /dashboard", _ => Get("/dashboard?fy=2025"), Page(caller => readers.Contains(caller) ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            // HQ's list of 後閲 (reviews of deputies' decisions), under the dashboard's policy.
            new("GET,POST /post-reviews", _ => Get("/post-reviews?state=all"), Page(caller => readers.Contains(caller) ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin", _ => Get("/admin"), Page(caller => caller == "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin/plan", _ => Get("/admin/plan"), Page(caller => caller == "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin/organisation", _ => Get("/admin/organisation"), Page(caller => caller == "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin/routes", _ => Get("/admin/routes"), Page(caller => caller == "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin/approval-rules", _ => Get("/admin/approval-rules"), Page(caller => caller == "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin/open-data", _ => Get("/admin/open-data"), Page(caller => caller == "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin/retention", _ => Get("/admin/retention"), Page(caller => caller == "hq.admin" ? HttpStatusCode.OK : HttpStatusCode.Forbidden)),
            new("GET,POST /admin/retention/{Id:guid}", _ => Get($"/admin/retention/{read}"), Page(caller => caller == "hq.admin" ? HttpStatusCode.NotFound : HttpStatusCode.Forbidden)),
            new("GET,POST /error/{Code:int}", _ => Get("/error/403"), Anyone(HttpStatusCode.OK)),
            new("GET,POST /not-found", _ => Get("/not-found"), Anyone(HttpStatusCode.OK)),
            // Development only: files of the content root not yet in the static-asset manifest; under the fallback policy.
            new("GET,HEAD {**path:file}", _ => Get("/no-such-file.txt"), Page(_ => HttpStatusCode.NotFound)),
            // Blazor's helper for a redirect after an enhanced form post, under the fallback policy (signed in): needs its protected target, else 400.
            new("GET /_framework/opaque-redirect", _ => Get("/_framework/opaque-redirect"), Page(_ => HttpStatusCode.BadRequest)),
            new("GET /css/app.css (static files)", _ => Get("/css/app.css"), Anyone(HttpStatusCode.OK)),
            new("GET /lang/{culture}", _ => Get("/lang/en?returnUrl=/signin"), Page(_ => HttpStatusCode.OK)),
            // Without the form's antiforgery token, signing out is refused (the 400 page) and the session stays.
            new("POST /signout", _ => Post("/signout"), Page(_ => HttpStatusCode.OK)),
            // Last: signing out ends each caller's sessions.
            new("POST /api/auth/logout", _ => Post("/api/auth/logout"), Everyone(HttpStatusCode.NoContent)),
        };

        var mismatches = new List<string>();
        foreach (var row in rows)
        {
            // The one caller a state-changing row lets through goes last, so the others meet the state it needs.
            foreach (var caller in Callers.OrderBy(c => row.Expected(c) is HttpStatusCode.OK or HttpStatusCode.NoContent ? 1 : 0))
            {
                var response = await clients[caller].SendAsync(await row.Request(caller));
                var expected = row.Expected(caller);
                if (response.StatusCode != expected)
                {
                    mismatches.Add($"{row.Endpoint} as {caller}: expected {(int)expected}, got {(int)response.StatusCode} {Shorten(await response.Content.ReadAsStringAsync())}");
                }
                else if ((int)response.StatusCode >= 400 && !row.Endpoint.StartsWith("GET,POST ", StringComparison.Ordinal) && !row.Endpoint.StartsWith("GET,HEAD ", StringComparison.Ordinal) && !row.Endpoint.Contains("/_framework/", StringComparison.Ordinal)
                    && response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    mismatches.Add($"{row.Endpoint} as {caller}: {(int)response.StatusCode} is {response.Content.Headers.ContentType?.MediaType ?? "empty"}, not problem+json");
                }
            }
        }

        Assert.True(mismatches.Count == 0, string.Join('\n', mismatches));

        // The matrix covers exactly the app's endpoints, and each one names its authorization (but two of the
        // framework's, which stay under the fallback policy: signed in).
        var covered = rows.Where(r => !r.Endpoint.EndsWith("(static files)", StringComparison.Ordinal)).Select(r => string.Join(' ', r.Endpoint.Split(' ').Take(2))).ToHashSet();
        var all = app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        // Static files (the stylesheet, the design tokens, Blazor's script) are one endpoint each: all anonymous, checked once.
        var assets = all.Where(IsStaticAsset).ToList();
        Assert.True(assets.Count > 0 && assets.All(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null), "static files not marked anonymous: " + string.Join(", ", assets.Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is null).Select(Key).Take(5)));
        var endpoints = all.Except(assets).ToList();
        var unlisted = endpoints.Select(Key).Where(key => !covered.Contains(key)).ToList();
        Assert.True(unlisted.Count == 0, "endpoints missing from the matrix: " + string.Join(", ", unlisted));
        var gone = covered.Where(key => !endpoints.Any(e => Key(e) == key)).ToList();
        Assert.True(gone.Count == 0, "matrix rows without an endpoint: " + string.Join(", ", gone));
        var implicitAuthorization = endpoints.Where(e => !DeclaresAuthorization(e) && e.RoutePattern.RawText is not ("/_framework/opaque-redirect" or "{**path:file}")).Select(Key).ToList();
        Assert.True(implicitAuthorization.Count == 0, "endpoints that name no policy: " + string.Join(", ", implicitAuthorization));
    }

    [Fact]
    public async Task Lists_show_a_section_only_to_those_who_may_see_it()
    {
        foreach (var caller in Callers.Skip(1))
        {
            var page = await clients[caller].GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/reports?fiscalYear=2025&sectionCode={OwnSection}");
            Assert.True(page.GetProperty("total").GetInt32() > 0 == SeeOwnReports.Contains(caller), $"{caller} sees {page.GetProperty("total")} reports of {OwnSection}");
        }
    }

    [Fact]
    public async Task A_role_change_applies_to_the_next_request_without_a_new_token()
    {
        var admin = clients["hq.admin"];
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("/api/audit/verify", UriKind.Relative))).StatusCode);

        await app.WithDbAsync(db => db.Users.Where(u => u.Email == "hq.admin@demo.local").ExecuteUpdateAsync(u => u.SetProperty(x => x.Role, Role.Staff)));

        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync(new Uri("/api/audit/verify", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync(new Uri("/api/rollups/rebuild", UriKind.Relative), null)).StatusCode);
    }

    private static bool IsStaticAsset(RouteEndpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().Name == "StaticAssetDescriptor") || endpoint.RoutePattern.RawText?.StartsWith("_framework/", StringComparison.Ordinal) == true;

    private static string Key(RouteEndpoint endpoint)
    {
        var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
        return $"{(methods is { Count: > 0 } ? string.Join(',', methods) : "*")} {endpoint.RoutePattern.RawText}";
    }

    private static bool DeclaresAuthorization(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null
        || endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is not null && Policies.Roles.ContainsKey(a.Policy));

    private static string Shorten(string body) => body.Length > 200 ? body[..200] + "..." : body;
}
