using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Engine;

/// <summary>Who may be a deputy, for how long, and what ends an appointment (issue 10, findings 1 and 2).</summary>
[Collection(SharedHost.Name)]
public abstract class DeputyTests(Profile profile) : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, HttpClient> clients = [];
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(profile);
        app = new ReformApp(database, "Development", time: time);
        Assert.Equal(HttpStatusCode.Created, (await (await As("hq.admin")).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
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

    private async Task<HttpResponseMessage> Appoint(string principal, string deputy, string from = "2026-04-10", string to = "2026-04-30") =>
        await (await As(principal)).PostAsJsonAsync("/api/deputies", new { deputyEmail = $"{deputy}@demo.local", from, to });

    private static async Task<string> Field(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        return Assert.Single(errors.EnumerateObject()).Name;
    }

    private Task<(int Deputies, int AuditEvents)> Counts() => app.WithDbAsync(async db => (await db.Deputies.CountAsync(), await db.AuditEvents.CountAsync()));

    private Task<Guid> Report(string route = "progress-report") => app.WithDbAsync(db => db.ProgressReports.AsNoTracking()
        .Where(r => r.RouteName == route && r.FiscalYear == 2025 && r.SectionCode == Section).OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());

    private async Task<string[]> Permitted(string who, Guid id)
    {
        var response = await (await As(who)).GetAsync(new Uri($"/api/reports/{id}", UriKind.Relative));
        return response.StatusCode == HttpStatusCode.NotFound ? ["(not visible)"]
            : (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("permittedActions").EnumerateArray().Select(a => a.GetString()!).ToArray();
    }

    [Fact]
    public async Task Only_someone_eligible_for_the_principals_step_can_be_appointed_and_a_refusal_stores_nothing()
    {
        // Read-only and HQ roles, another department's chief, the principal, a too-long or too-distant range.
        Assert.Equal("deputyEmail", await Field(await Appoint($"{Section}.chief", "committee")));
        Assert.Equal("deputyEmail", await Field(await Appoint($"{Section}.chief", "auditor")));
        Assert.Equal("deputyEmail", await Field(await Appoint($"{Section}.chief", "hq.reviewer")));
        Assert.Equal("deputyEmail", await Field(await Appoint($"{Section}.chief", "hq.admin")));
        Assert.Equal("deputyEmail", await Field(await Appoint($"{Section}.chief", "kikaku-chosei.chief")));
        Assert.Equal("deputyEmail", await Field(await Appoint($"{Section}.chief", "jinji.staff")));
        Assert.Equal("deputyEmail", await Field(await Appoint($"{Section}.chief", $"{Section}.chief")));
        Assert.Equal("deputyEmail", await Field(await Appoint("somu.head", $"{Section}.staff")));
        Assert.Equal("deputyEmail", await Field(await Appoint("somu.head", "kikaku-chosei.chief")));
        Assert.Equal("to", await Field(await Appoint($"{Section}.chief", $"{Section}.staff", "2026-04-10", "2026-07-09")));
        Assert.Equal("from", await Field(await Appoint($"{Section}.chief", $"{Section}.staff", "2027-05-01", "2027-05-10")));
        Assert.Equal((0, 0), await Counts());

        // 90 days inclusive is the default maximum.
        Assert.Equal(HttpStatusCode.Created, (await Appoint($"{Section}.chief", $"{Section}.staff", "2026-04-10", "2026-07-08")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Appoint($"{Section}.chief", "jinji.chief")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Appoint("somu.head", $"{Section}.chief")).StatusCode);
        var stored = await app.WithDbAsync(db => db.Deputies.AsNoTracking().OrderBy(d => d.CreatedAt).ThenBy(d => d.Id).ToListAsync());
        Assert.Equal(
            [(AomoriReform.Workflows.Organisation.Role.SectionChief, Section, "somu"), (AomoriReform.Workflows.Organisation.Role.SectionChief, Section, "somu"), (AomoriReform.Workflows.Organisation.Role.DepartmentHead, (string?)null, "somu")],
            stored.Select(d => (d.PrincipalRole, d.PrincipalSectionCode, d.PrincipalDepartmentCode)).OrderBy(x => x.PrincipalRole).ToList());
        Assert.Equal((3, 3), await Counts());
        var verify = await (await As("auditor")).GetFromJsonAsync<JsonElement>("/api/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
        Assert.Equal(3, verify.GetProperty("auditEventsChecked").GetInt32());
    }

    [Fact]
    public async Task An_appointment_is_void_once_the_principal_moves()
    {
        var id = await Report();
        Assert.Equal(HttpStatusCode.Created, (await Appoint($"{Section}.chief", "jinji.chief")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await (await As($"{Section}.staff")).PostAsJsonAsync($"/api/reports/{id}/submit", new { version = 1 })).StatusCode);
        Assert.Equal(["approve", "return"], await Permitted("jinji.chief", id));

        // The personnel transfer: the principal is now chief of another section.
        await app.WithDbAsync(db => db.Users.Where(u => u.Email == $"{Section}.chief@demo.local").ExecuteUpdateAsync(u => u.SetProperty(x => x.SectionCode, "jinji")));

        Assert.Equal(["(not visible)"], await Permitted("jinji.chief", id));
        Assert.Equal(HttpStatusCode.NotFound, (await (await As("jinji.chief")).PostAsJsonAsync($"/api/reports/{id}/approve", new { version = 2 })).StatusCode);
        var inbox = await (await As("jinji.chief")).GetFromJsonAsync<JsonElement>("/api/inbox?pageSize=500");
        Assert.DoesNotContain(inbox.EnumerateArray(), t => t.GetProperty("reportId").GetGuid() == id);
        var listed = Assert.Single((await (await As("jinji.chief")).GetFromJsonAsync<JsonElement>("/api/deputies")).EnumerateArray());
        Assert.False(listed.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task Appointments_are_listed_to_both_sides_and_ended_only_by_the_principal_or_an_hq_admin()
    {
        var created = await (await Appoint($"{Section}.chief", "jinji.chief")).Content.ReadFromJsonAsync<JsonElement>();
        var appointment = created.GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.Created, (await Appoint("somu.head", "jinji.chief")).StatusCode);

        async Task<Guid[]> List(string who) =>
            (await (await As(who)).GetFromJsonAsync<JsonElement>("/api/deputies")).EnumerateArray().Select(d => d.GetProperty("id").GetGuid()).ToArray();
        Assert.Equal([appointment], await List($"{Section}.chief"));
        Assert.Equal(2, (await List("jinji.chief")).Length);
        Assert.Empty(await List("kikaku-chosei.chief"));
        Assert.Equal(2, (await List("hq.admin")).Length);
        var view = (await (await As($"{Section}.chief")).GetFromJsonAsync<JsonElement>("/api/deputies"))[0];
        Assert.Equal(($"{Section}.chief@demo.local", "jinji.chief@demo.local", "2026-04-10", "2026-04-30", true),
            (view.GetProperty("principalEmail").GetString(), view.GetProperty("deputyEmail").GetString(), view.GetProperty("from").GetString(), view.GetProperty("to").GetString(), view.GetProperty("active").GetBoolean()));

        async Task<HttpStatusCode> End(string who, Guid id) => (await (await As(who)).DeleteAsync(new Uri($"/api/deputies/{id}", UriKind.Relative))).StatusCode;
        Assert.Equal(HttpStatusCode.Forbidden, await End("jinji.chief", appointment));
        Assert.Equal(HttpStatusCode.NotFound, await End("kikaku-chosei.chief", appointment));
        Assert.Equal(HttpStatusCode.NotFound, await End($"{Section}.chief", Guid.NewGuid()));
        Assert.Equal((2, 2), await Counts());

        var id = await Report();
        Assert.Equal(HttpStatusCode.OK, (await (await As($"{Section}.staff")).PostAsJsonAsync($"/api/reports/{id}/submit", new { version = 1 })).StatusCode);
        Assert.Equal(["approve", "return"], await Permitted("jinji.chief", id));
        Assert.Equal(HttpStatusCode.NoContent, await End($"{Section}.chief", appointment));
        // Still the head's deputy, so the report is visible, but the chief's step is no longer theirs.
        Assert.Empty(await Permitted("jinji.chief", id));
        Assert.Equal(HttpStatusCode.NoContent, await End("hq.admin", (await List("somu.head")).Single()));
        Assert.Equal(["(not visible)"], await Permitted("jinji.chief", id));

        Assert.Equal((2, 4), await Counts());
        var ended = await app.WithDbAsync(db => db.Deputies.AsNoTracking().SingleAsync(d => d.Id == appointment));
        Assert.NotNull(ended.EndedAt);
        var audit = await app.WithDbAsync(db => db.AuditEvents.AsNoTracking().OrderBy(e => e.Seq).Select(e => e.Kind).ToListAsync());
        Assert.Equal(["deputy.appointed", "deputy.appointed", "deputy.ended", "deputy.ended"], audit);
        var verify = await (await As("auditor")).GetFromJsonAsync<JsonElement>("/api/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());

        // The audit chain is signed like the journal: an edited event is found.
        await app.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE audit_events SET kind = 'deputy.nothing' WHERE seq = 3"));
        var tampered = await (await As("auditor")).GetFromJsonAsync<JsonElement>("/api/audit/verify");
        Assert.False(tampered.GetProperty("valid").GetBoolean());
        Assert.Equal(3, tampered.GetProperty("firstBadAuditSeq").GetInt32());
    }
}

public sealed class DeputyTests_Embedded() : DeputyTests(Profile.Embedded);

public sealed class DeputyTests_Production() : DeputyTests(Profile.Production);
