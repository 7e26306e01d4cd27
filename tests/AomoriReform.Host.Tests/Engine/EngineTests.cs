using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Engine;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Engine;

/// <summary>The approval engine through the HTTP API, on the sample plan with its demo accounts.</summary>
[Collection(SharedHost.Name)]
public abstract class EngineTests(Profile profile) : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private TestDatabase database = null!;
    private ReformApp app = null!;
    private readonly Dictionary<string, HttpClient> clients = [];

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(profile);
        app = new ReformApp(database, "Development", time: time);
        var admin = await As("hq.admin");
        var opened = await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" });
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task<HttpClient> As(string who)
    {
        if (!clients.TryGetValue(who, out var client))
        {
            client = clients[who] = await app.SignedInAsync($"{who}@demo.local");
        }

        return client;
    }

    /// <summary>The FY2025 report of the first measure on the route (and of the section, if given).</summary>
    private Task<(Guid Id, string Section)> ReportOn(string route, string? section = null) => app.WithDbAsync(async db =>
    {
        var report = await db.ProgressReports.AsNoTracking()
            .Where(r => r.RouteName == route && r.FiscalYear == 2025 && (section == null || r.SectionCode == section))
            .OrderBy(r => r.MeasureCode).FirstAsync();
        return (report.Id, report.SectionCode);
    });

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private async Task<HttpResponseMessage> Act(string who, Guid id, string action, int version, string? comment = null, string? key = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/reports/{id}/{action}") { Content = JsonContent.Create(new { version, comment }) };
        if (key is not null)
        {
            request.Headers.Add("Idempotency-Key", key);
        }

        return await (await As(who)).SendAsync(request);
    }

    private static async Task<JsonElement> Ok(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static string[] Permitted(JsonElement report) => report.GetProperty("permittedActions").EnumerateArray().Select(a => a.GetString()!).ToArray();

    private async Task<List<JsonElement>> History(Guid id) =>
        (await (await As("hq.reviewer")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}/history")).EnumerateArray().ToList();

    private Task<List<string>> OutboxTypes(Guid id) => app.WithDbAsync(db =>
        db.OutboxMessages.AsNoTracking().Where(m => m.StreamId == id.ToString("N")).OrderBy(m => m.Sequence).Select(m => m.MessageType).ToListAsync());

    [Fact]
    public async Task A_report_goes_the_whole_standard_route_and_is_frozen_once_accepted()
    {
        var (id, s) = await ReportOn("progress-report");
        var draft = await (await As($"{s}.staff")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}");
        Assert.Equal(["save", "submit"], Permitted(draft));
        Assert.Empty(Permitted(await (await As($"{s}.chief")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));

        var saved = await Ok(await (await As($"{s}.staff")).PutAsJsonAsync($"/api/reports/{id}", new
        {
            version = 1,
            content = new { progress = "MostlyOnTrack", achievements = "オンライン化を進めた", nextSteps = "対象拡大", indicators = new[] { new { code = "1", actual = 42.5 } } },
        }));
        Assert.Equal(2, saved.GetProperty("version").GetInt32());
        Assert.Equal("MostlyOnTrack", saved.GetProperty("content").GetProperty("progress").GetString());

        var submitted = await Ok(await Act($"{s}.staff", id, "submit", 2));
        Assert.Equal("Submitted", submitted.GetProperty("status").GetString());
        Assert.Equal(["recall"], Permitted(submitted));
        Assert.Equal(["approve", "return"], Permitted(await (await As($"{s}.chief")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));
        var approved = await Ok(await Act($"{s}.chief", id, "approve", 3));
        Assert.Equal("SectionApproved", approved.GetProperty("status").GetString());
        var accepted = await Ok(await Act("hq.reviewer", id, "accept", 4, "確認しました"));
        Assert.Equal(("Accepted", 5), (accepted.GetProperty("status").GetString()!, accepted.GetProperty("version").GetInt32()));

        Assert.Equal(HttpStatusCode.Conflict, (await (await As($"{s}.staff")).PutAsJsonAsync($"/api/reports/{id}", new { version = 5, content = new { progress = "Delayed" } })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Act("hq.reviewer", id, "return", 5, "やり直し")).StatusCode);
        var history = await History(id);
        Assert.Equal(["open", "submit", "approve", "accept"], history.Select(h => h.GetProperty("action").GetString()));
        Assert.Equal([1, 2, 3, 4], history.Select(h => h.GetProperty("seq").GetInt32()));
        Assert.Equal("確認しました", history[3].GetProperty("comment").GetString());
        Assert.Contains("担当", history[1].GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Equal(["Submitted", "SectionApproved", "Accepted"], history.Skip(1).Select(h => h.GetProperty("toStatus").GetString()));
        var events = await OutboxTypes(id);
        Assert.Equal(
            [typeof(ReportOpened), typeof(ReportSubmitted), typeof(ReportApproved), typeof(ReportAccepted)],
            events.Select(t => Type.GetType($"{t}, AomoriReform.Contracts")));
        Assert.Equal(0, await app.WithDbAsync(db => db.WorkTasks.CountAsync(t => t.ReportId == id && t.State == WorkTaskState.Open)));
    }

    [Fact]
    public async Task A_returned_report_needs_a_comment_goes_back_to_the_drafter_and_can_be_resubmitted()
    {
        var (id, s) = await ReportOn("progress-report");
        await Ok(await Act($"{s}.staff", id, "submit", 1));

        var noComment = await Act($"{s}.chief", id, "return", 2);
        Assert.Equal(HttpStatusCode.BadRequest, noComment.StatusCode);
        Assert.True((await Json(noComment)).GetProperty("errors").TryGetProperty("comment", out _));
        var returned = await Ok(await Act($"{s}.chief", id, "return", 2, "指標の実績を記入してください"));
        Assert.Equal("Returned", returned.GetProperty("status").GetString());
        var inbox = await (await As($"{s}.staff")).GetFromJsonAsync<JsonElement>("/api/inbox?pageSize=500");
        Assert.Contains(inbox.EnumerateArray(), t => t.GetProperty("reportId").GetGuid() == id && t.GetProperty("status").GetString() == "Returned");

        await Ok(await Act($"{s}.staff", id, "submit", 3));
        var approved = await Ok(await Act($"{s}.chief", id, "approve", 4));
        Assert.Equal("SectionApproved", approved.GetProperty("status").GetString());
        Assert.Equal(["open", "submit", "return", "submit", "approve"], (await History(id)).Select(h => h.GetProperty("action").GetString()));
    }

    [Fact]
    public async Task The_submitter_recalls_before_the_chief_acts_and_nobody_else_can()
    {
        var (id, s) = await ReportOn("progress-report");
        await Ok(await Act($"{s}.staff", id, "submit", 1));

        Assert.Equal(HttpStatusCode.Forbidden, (await Act($"{s}.chief", id, "recall", 2)).StatusCode);
        var recalled = await Ok(await Act($"{s}.staff", id, "recall", 2));
        Assert.Equal("Draft", recalled.GetProperty("status").GetString());

        await Ok(await Act($"{s}.staff", id, "submit", 3));
        await Ok(await Act($"{s}.chief", id, "approve", 4));
        Assert.Equal(HttpStatusCode.Conflict, (await Act($"{s}.staff", id, "recall", 5)).StatusCode);
    }

    [Fact]
    public async Task The_department_head_route_adds_the_heads_approval_before_hq()
    {
        var (id, s) = await ReportOn("progress-report-with-head");
        var department = await app.WithDbAsync(db => db.Sections.Where(x => x.Code == s).Select(x => x.DepartmentCode).SingleAsync());
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        await Ok(await Act($"{s}.chief", id, "approve", 2));

        Assert.Equal(HttpStatusCode.Conflict, (await Act("hq.reviewer", id, "accept", 3)).StatusCode);
        var headInbox = await (await As($"{department}.head")).GetFromJsonAsync<JsonElement>("/api/inbox");
        Assert.Contains(headInbox.EnumerateArray(), t => t.GetProperty("reportId").GetGuid() == id);
        var approved = await Ok(await Act($"{department}.head", id, "approve", 3));
        Assert.Equal("DepartmentApproved", approved.GetProperty("status").GetString());
        Assert.Equal("Accepted", (await Ok(await Act("hq.reviewer", id, "accept", 4))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_consultation_needs_every_listed_section_to_concur_in_parallel()
    {
        var (id, s) = await ReportOn("progress-report-consult");
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        var consulting = await Ok(await Act($"{s}.chief", id, "approve", 2));
        Assert.Equal("InConsultation", consulting.GetProperty("status").GetString());
        foreach (var section in new[] { "zaisei", "digital-senryaku" })
        {
            var inbox = await (await As($"{section}.chief")).GetFromJsonAsync<JsonElement>("/api/inbox?pageSize=500");
            Assert.Contains(inbox.EnumerateArray(), t => t.GetProperty("reportId").GetGuid() == id);
        }

        Assert.Equal(HttpStatusCode.Conflict, (await Act("hq.reviewer", id, "accept", 3)).StatusCode);
        var first = await Ok(await Act("zaisei.chief", id, "concur", 3));
        Assert.Equal("InConsultation", first.GetProperty("status").GetString());
        // Its part done, the consulted section still reads the report, but decides nothing more on it.
        Assert.Equal(HttpStatusCode.Forbidden, (await Act("zaisei.chief", id, "concur", 4)).StatusCode);
        Assert.Empty(Permitted(await (await As("zaisei.chief")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));
        var last = await Ok(await Act("digital-senryaku.chief", id, "concur", 4));
        Assert.Equal("SectionApproved", last.GetProperty("status").GetString());
        Assert.Equal("Accepted", (await Ok(await Act("hq.reviewer", id, "accept", 5))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task One_objection_in_a_consultation_returns_the_report()
    {
        var (id, s) = await ReportOn("progress-report-consult");
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        await Ok(await Act($"{s}.chief", id, "approve", 2));
        await Ok(await Act("zaisei.chief", id, "concur", 3));

        var objected = await Ok(await Act("digital-senryaku.chief", id, "object", 4, "財源の見込みを示してください"));

        Assert.Equal("Returned", objected.GetProperty("status").GetString());
        Assert.Equal(0, await app.WithDbAsync(db => db.WorkTasks.CountAsync(t => t.ReportId == id && t.State == WorkTaskState.Open && t.StepId == "consultation")));
    }

    [Fact]
    public async Task A_deputy_acts_for_the_chief_within_the_dates_and_the_history_names_both()
    {
        var (id, s) = await ReportOn("progress-report", "gyosei-keiei");
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        var appointed = await (await As($"{s}.chief")).PostAsJsonAsync("/api/deputies", new { deputyEmail = "jinji.chief@demo.local", from = "2026-04-11", to = "2026-04-20" });
        Assert.Equal(HttpStatusCode.Created, appointed.StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await Act("jinji.chief", id, "approve", 2)).StatusCode);
        time.Advance(TimeSpan.FromDays(1));
        clients.Clear(); // the day's move expired the tokens
        var inbox = await (await As("jinji.chief")).GetFromJsonAsync<JsonElement>("/api/inbox?pageSize=500");
        Assert.Contains(inbox.EnumerateArray(), t => t.GetProperty("reportId").GetGuid() == id && t.GetProperty("onBehalfOf").GetString()!.Contains("行政経営管理課長", StringComparison.Ordinal));
        await Ok(await Act("jinji.chief", id, "approve", 2));

        var entry = (await History(id)).Last();
        Assert.Contains("人事課長", entry.GetProperty("actor").GetString(), StringComparison.Ordinal);
        Assert.Contains("行政経営管理課長", entry.GetProperty("onBehalfOf").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nobody_approves_their_own_submission_not_even_as_deputy()
    {
        var (id, s) = await ReportOn("progress-report");
        var appointed = await (await As($"{s}.chief")).PostAsJsonAsync("/api/deputies", new { deputyEmail = $"{s}.staff@demo.local", from = "2026-04-10", to = "2026-04-30" });
        Assert.Equal(HttpStatusCode.Created, appointed.StatusCode);
        await Ok(await Act($"{s}.staff", id, "submit", 1));

        var own = await Act($"{s}.staff", id, "approve", 2);

        Assert.Equal(HttpStatusCode.Forbidden, own.StatusCode);
        Assert.DoesNotContain("approve", Permitted(await (await As($"{s}.staff")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));
    }

    [Fact]
    public async Task A_section_chief_deputising_for_the_department_head_cannot_approve_the_same_round_twice()
    {
        var (id, s) = await ReportOn("progress-report-with-head");
        var department = await app.WithDbAsync(db => db.Sections.Where(x => x.Code == s).Select(x => x.DepartmentCode).SingleAsync());
        var appointed = await (await As($"{department}.head")).PostAsJsonAsync("/api/deputies", new { deputyEmail = $"{s}.chief@demo.local", from = "2026-04-10", to = "2026-04-30" });
        Assert.Equal(HttpStatusCode.Created, appointed.StatusCode);
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        await Ok(await Act($"{s}.chief", id, "approve", 2));

        var again = await Act($"{s}.chief", id, "approve", 3);

        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.DoesNotContain("approve", Permitted(await (await As($"{s}.chief")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));
        Assert.Equal(["approve", "return"], Permitted(await (await As($"{department}.head")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));
        await Ok(await Act($"{department}.head", id, "approve", 3));

        // A new round (after a return and a resubmit) gives everyone one decision again.
        await Ok(await Act("hq.reviewer", id, "return", 4, "もう一度"));
        await Ok(await Act($"{s}.staff", id, "submit", 5));
        Assert.Equal(["approve", "return"], Permitted(await (await As($"{s}.chief")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));
    }

    [Fact]
    public async Task The_owning_sections_chief_is_not_consulted_and_cannot_concur()
    {
        var (id, s) = await ReportOn("progress-report-consult", "zaisei");
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        var consulting = await Ok(await Act($"{s}.chief", id, "approve", 2));
        Assert.Equal("InConsultation", consulting.GetProperty("status").GetString());
        var consulted = await app.WithDbAsync(db => db.WorkTasks.Where(t => t.ReportId == id && t.State == WorkTaskState.Open).Select(t => t.AssigneeSectionCode).ToListAsync());
        Assert.Equal(["digital-senryaku"], consulted);

        Assert.Equal(HttpStatusCode.Forbidden, (await Act("zaisei.chief", id, "concur", 3)).StatusCode);
        // The owning chief approved last, so they may still take it back (引戻し) until the consulted section acts.
        Assert.Equal(["recall"], Permitted(await (await As("zaisei.chief")).GetFromJsonAsync<JsonElement>($"/api/reports/{id}")));
        var last = await Ok(await Act("digital-senryaku.chief", id, "concur", 3));
        Assert.Equal("SectionApproved", last.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Fifty_concurrent_approvals_of_one_task_succeed_exactly_once()
    {
        var (id, s) = await ReportOn("progress-report");
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        var chief = await As($"{s}.chief");

        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => chief.PostAsJsonAsync($"/api/reports/{id}/approve", new { version = 2 })));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal([], responses.Where(r => r.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Conflict)).Select(r => $"{(int)r.StatusCode} {r.Content.ReadAsStringAsync().Result}"));
        Assert.Equal(49, responses.Count(r => r.StatusCode == HttpStatusCode.Conflict));
        Assert.Equal(1, (await History(id)).Count(h => h.GetProperty("action").GetString() == "approve"));
        Assert.Equal(1, await app.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.StreamId == id.ToString("N") && m.MessageType == typeof(ReportApproved).FullName)));
    }

    [Fact]
    public async Task An_idempotency_key_repeat_returns_the_first_answer_and_changes_nothing()
    {
        var (id, s) = await ReportOn("progress-report");
        var key = Guid.NewGuid().ToString();

        var first = await Act($"{s}.staff", id, "submit", 1, key: key);
        var repeat = await Act($"{s}.staff", id, "submit", 1, key: key);
        var misuse = await Act($"{s}.staff", id, "recall", 2, key: key);

        Assert.Equal(await first.Content.ReadAsStringAsync(), await repeat.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, misuse.StatusCode);
        Assert.Single(await History(id), h => h.GetProperty("action").GetString() == "submit");
        Assert.Equal(2, await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync()));
    }

    [Fact]
    public async Task The_audit_verification_detects_an_edited_or_deleted_journal_row()
    {
        var (id, s) = await ReportOn("progress-report");
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        await Ok(await Act($"{s}.chief", id, "approve", 2));
        var auditor = await As("auditor");
        Assert.True((await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify")).GetProperty("valid").GetBoolean());
        Assert.Equal(HttpStatusCode.Forbidden, (await (await As($"{s}.chief")).GetAsync(new Uri("/api/audit/verify", UriKind.Relative))).StatusCode);

        await app.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE journal_entries SET comment = '改ざん' WHERE report_id = {id} AND seq = 2"));
        var edited = await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify");
        await app.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE journal_entries SET comment = NULL WHERE report_id = {id} AND seq = 2"));
        Assert.True((await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify")).GetProperty("valid").GetBoolean());
        await app.WithDbAsync(db => db.Database.ExecuteSqlAsync($"DELETE FROM journal_entries WHERE report_id = {id} AND seq = 3"));
        var deleted = await auditor.GetFromJsonAsync<JsonElement>("/api/audit/verify");

        Assert.False(edited.GetProperty("valid").GetBoolean());
        Assert.Equal((id, 2), (edited.GetProperty("firstBadReportId").GetGuid(), edited.GetProperty("firstBadSeq").GetInt32()));
        Assert.False(deleted.GetProperty("valid").GetBoolean());
        Assert.Equal(id, deleted.GetProperty("firstBadReportId").GetGuid());
    }

    [Fact]
    public async Task Opening_a_check_in_raced_from_many_requests_opens_it_once()
    {
        var admin = await As("hq.admin");
        var measures = await app.WithDbAsync(db => db.Measures.CountAsync());

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2026, dueDate = "2027-05-28" })));

        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        Assert.Equal(measures, await app.WithDbAsync(db => db.ProgressReports.CountAsync(r => r.FiscalYear == 2026)));
        Assert.Equal(measures, await app.WithDbAsync(db => db.WorkTasks.CountAsync(t => t.State == WorkTaskState.Open && db.ProgressReports.Any(r => r.Id == t.ReportId && r.FiscalYear == 2026))));
        var created = await Json(responses.Single(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(measures, created.GetProperty("reportsOpened").GetInt32());
    }

    [Fact]
    public async Task Bad_requests_get_the_contracted_status_and_change_nothing()
    {
        var (id, s) = await ReportOn("progress-report", "gyosei-keiei");
        var staff = await As($"{s}.staff");
        var before = await app.WithDbAsync(db => db.JournalEntries.CountAsync());

        Assert.Equal(HttpStatusCode.NotFound, (await staff.GetAsync(new Uri($"/api/reports/{Guid.NewGuid()}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await (await As("jinji.staff")).GetAsync(new Uri($"/api/reports/{id}", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Act("jinji.staff", id, "submit", 1)).StatusCode);
        var unknownEnum = await staff.PutAsync(new Uri($"/api/reports/{id}", UriKind.Relative), new StringContent("{\"version\":1,\"content\":{\"progress\":\"Great\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, unknownEnum.StatusCode);
        Assert.True((await Json(unknownEnum)).GetProperty("errors").TryGetProperty("content.progress", out _));
        var malformed = await staff.PostAsync(new Uri($"/api/reports/{id}/submit", UriKind.Relative), new StringContent("{\"version\":", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var noVersion = await staff.PostAsJsonAsync($"/api/reports/{id}/submit", new { comment = "x" });
        Assert.True((await Json(noVersion)).GetProperty("errors").TryGetProperty("version", out _));
        var unknownAction = await Act($"{s}.staff", id, "publish", 1);
        Assert.True((await Json(unknownAction)).GetProperty("errors").TryGetProperty("action", out _));
        var stale = await Act($"{s}.staff", id, "submit", 7);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("version", (await Json(stale)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var wrongState = await Act($"{s}.chief", id, "approve", 1);
        Assert.Equal(HttpStatusCode.Conflict, wrongState.StatusCode);
        Assert.Contains("Draft", (await Json(wrongState)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await Act($"{s}.chief", id, "submit", 1)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await (await As($"{s}.staff")).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2027, dueDate = "2028-05-28" })).StatusCode);
        var badYear = await (await As("hq.admin")).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2031, dueDate = "2032-05-28" });
        Assert.True((await Json(badYear)).GetProperty("errors").TryGetProperty("fiscalYear", out _));

        Assert.Equal(before, await app.WithDbAsync(db => db.JournalEntries.CountAsync()));
        Assert.Equal(1, await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync()));
    }

    [Fact]
    public async Task A_new_route_version_leaves_running_reports_on_theirs()
    {
        var (id, s) = await ReportOn("progress-report");
        var running = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.RouteVersion).SingleAsync());
        var v1 = RouteDefinition.Parse("v1", RouteDefinitionLoader.ShippedFiles().Single(f => f.FileName == "progress-report.v1.yaml").Yaml);
        var next = v1 with { Version = running + 1, Title = "進捗報告（部長決裁を追加）", Steps = [.. v1.Steps.Take(2), v1.Steps[1] with { Id = "head", Status = "HeadPending", Assignee = new AssigneeRule(AomoriReform.Workflows.Organisation.Role.DepartmentHead, AssigneeScope.Department, []) }, v1.Steps[2]] };
        await app.WithDbAsync(db => new RouteDefinitionLoader(time, Microsoft.Extensions.Logging.Abstractions.NullLogger<RouteDefinitionLoader>.Instance).PublishAsync(db, [(next, "test")], CancellationToken.None));

        await Ok(await Act($"{s}.staff", id, "submit", 1));
        var approved = await Ok(await Act($"{s}.chief", id, "approve", 2));
        var opened = await (await As("hq.admin")).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2026, dueDate = "2027-05-28" });

        Assert.Equal(("SectionApproved", running), (approved.GetProperty("status").GetString()!, approved.GetProperty("routeVersion").GetInt32()));
        Assert.Equal(HttpStatusCode.Created, opened.StatusCode);
        Assert.Equal(running + 1, await app.WithDbAsync(db => db.ProgressReports.Where(r => r.FiscalYear == 2026 && r.RouteName == "progress-report").Select(r => r.RouteVersion).Distinct().SingleAsync()));
        var workflows = await (await As("hq.admin")).GetFromJsonAsync<JsonElement>("/api/workflows");
        Assert.Contains(workflows.EnumerateArray(), w => w.GetProperty("name").GetString() == "progress-report" && w.GetProperty("version").GetInt32() == running + 1);
        var diagram = await (await As("hq.admin")).GetStringAsync(new Uri($"/api/workflows/progress-report/versions/{running + 1}/diagram", UriKind.Relative));
        Assert.Contains("HeadPending", diagram, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_committed_while_no_dispatcher_ran_is_published_by_the_next_host()
    {
        // The only host on the database commits an action but dies before publishing it.
        await app.DisposeAsync();
        app = new ReformApp(database, "Development", new Dictionary<string, string?> { ["Outbox:DispatcherEnabled"] = "false" }, time);
        clients.Clear();
        var (id, s) = await ReportOn("progress-report");
        await Ok(await Act($"{s}.staff", id, "submit", 1));
        var row = await app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.StreamId == id.ToString("N") && m.MessageType == typeof(ReportSubmitted).FullName));
        Assert.Null(row.SentAt);
        await app.DisposeAsync();

        app = new ReformApp(database, "Development", time: time);
        _ = app.Server;

        var sent = await Eventually.Get(
            () => app.WithDbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync(m => m.Sequence == row.Sequence)),
            m => m.SentAt is not null,
            because: "the restarted host to publish the row");
        Assert.Equal(row.MessageId, sent.MessageId);
        Assert.Equal(0, await app.WithDbAsync(db => db.OutboxMessages.CountAsync(m => m.SentAt == null)));
        var projected = await Eventually.Get(
            () => app.WithDbAsync(db => db.ReportProjections.AsNoTracking().SingleOrDefaultAsync(p => p.ReportId == id)),
            p => p is { Status: "Submitted" },
            because: "the event to reach the rollup projection");
        Assert.Equal(2, projected!.Version);
        Assert.Equal(1, await app.WithDbAsync(db => db.ProcessedMessages.CountAsync(p => p.MessageId == row.MessageId)));
    }
}

public sealed class EngineTests_Embedded() : EngineTests(Profile.Embedded);

public sealed class EngineTests_Production() : EngineTests(Profile.Production);
