using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AomoriReform.Workflows.Demo;

namespace AomoriReform.Tests.Plan;

[Collection(SharedHost.Name)]
public abstract class PlanApiTests(Profile profile) : IAsyncLifetime
{
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(profile);
        app = new ReformApp(database, "Development");
        _ = app.Server;
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private static HttpContent File(string text, string mediaType) => new ByteArrayContent(Encoding.UTF8.GetBytes(text))
    {
        Headers = { ContentType = new MediaTypeHeaderValue(mediaType) },
    };

    [Fact]
    public async Task A_signed_in_demo_user_reads_the_whole_sample_plan()
    {
        var client = await app.SignedInAsync("kikaku-chosei.staff@demo.local");

        var plan = await client.GetFromJsonAsync<JsonElement>("/api/plan");

        Assert.Equal(2024, plan.GetProperty("fromFiscalYear").GetInt32());
        Assert.Equal(2028, plan.GetProperty("toFiscalYear").GetInt32());
        var viewpoints = plan.GetProperty("viewpoints").EnumerateArray().ToList();
        Assert.Equal(["1", "2", "3", "4", "5"], viewpoints.Select(v => v.GetProperty("code").GetString()));
        var areas = viewpoints.SelectMany(v => v.GetProperty("areas").EnumerateArray()).ToList();
        var items = areas.SelectMany(a => a.GetProperty("items").EnumerateArray()).ToList();
        Assert.Equal(13, areas.Count);
        Assert.Equal(35, items.Count);
        Assert.All(items, item => Assert.InRange(item.GetProperty("measures").GetArrayLength(), 2, 4));
        var measure = items[0].GetProperty("measures")[0];
        foreach (var field in new[] { "id", "code", "title", "ownerSectionCode", "ownerDepartmentCode", "indicators" })
        {
            Assert.True(measure.TryGetProperty(field, out _), field);
        }

        var indicator = measure.GetProperty("indicators")[0];
        Assert.True(indicator.GetProperty("targets").EnumerateObject().All(t => int.Parse(t.Name, System.Globalization.CultureInfo.InvariantCulture) is >= 2024 and <= 2028));
    }

    [Fact]
    public async Task Only_hq_admin_may_import()
    {
        var staff = await app.SignedInAsync("gyosei-keiei.staff@demo.local");
        var reviewer = await app.SignedInAsync("hq.reviewer@demo.local");

        Assert.Equal(HttpStatusCode.Forbidden, (await staff.PostAsync(new Uri("/api/plan/import", UriKind.Relative), File("measures: []", "application/yaml"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.PostAsync(new Uri("/api/org/import", UriKind.Relative), File("kind,code,name,parent,role", "text/csv"))).StatusCode);
    }

    [Fact]
    public async Task A_bad_plan_file_is_400_problem_json_naming_each_line()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        var before = await admin.GetStringAsync(new Uri("/api/plan", UriKind.Relative));

        var response = await admin.PostAsync(new Uri("/api/plan/import", UriKind.Relative), File(
            "measures:\n  - code: \"X-01\"\n    item: \"9.9.9\"\n    title: 取組\n    section: nowhere\n", "application/yaml"));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var messages = problem.GetProperty("errors").GetProperty("line 2").EnumerateArray().Select(m => m.GetString()!).ToList();
        Assert.Contains(messages, m => m.Contains("unknown item code '9.9.9'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown section 'nowhere'", StringComparison.Ordinal));
        Assert.Equal(before, await admin.GetStringAsync(new Uri("/api/plan", UriKind.Relative)));
    }

    [Fact]
    public async Task The_csv_export_round_trips_through_the_import_api()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        var csv = await admin.GetByteArrayAsync(new Uri("/api/plan/export?format=csv", UriKind.Relative));

        var dryRun = await admin.PostAsync(new Uri("/api/plan/import?dryRun=true", UriKind.Relative), new ByteArrayContent(csv) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } });
        var result = await dryRun.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, dryRun.StatusCode);
        Assert.True(result.GetProperty("dryRun").GetBoolean());
        Assert.Equal(0, result.GetProperty("measures").GetProperty("changed").GetArrayLength());
        Assert.Equal(0, result.GetProperty("measures").GetProperty("added").GetArrayLength());
        Assert.True(result.GetProperty("measures").GetProperty("unchanged").GetArrayLength() >= 70);
    }

    [Fact]
    public async Task A_file_of_the_wrong_type_or_too_large_is_refused()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");

        var json = await admin.PostAsync(new Uri("/api/plan/import", UriKind.Relative), File("{}", "application/json"));
        var huge = await admin.PostAsync(new Uri("/api/plan/import", UriKind.Relative), new ByteArrayContent(new byte[(10 << 20) + 1]) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } });

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    [Fact]
    public async Task An_organisation_import_reports_users_and_leaves_demo_accounts_alone()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        var org = Encoding.UTF8.GetString(SampleFiles.Organisation()).TrimStart('\uFEFF') + "user,kimura@pref.example.jp,木村 三郎,gyosei-keiei,Staff\r\n";

        var response = await admin.PostAsync(new Uri("/api/org/import", UriKind.Relative), File(org, "text/csv"));
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        var bad = await admin.PostAsync(new Uri("/api/org/import", UriKind.Relative), File(org + "user,x@pref.example.jp,X,nowhere,Staff\r\n", "text/csv"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["kimura@pref.example.jp"], result.GetProperty("users").GetProperty("added").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, result.GetProperty("users").GetProperty("deactivated").GetArrayLength());
        Assert.Equal(0, result.GetProperty("sections").GetProperty("changed").GetArrayLength());
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "hq.admin@demo.local", password = ReformApp.DemoPassword })).StatusCode);
    }
}

public sealed class PlanApiTests_Embedded() : PlanApiTests(Profile.Embedded);

public sealed class PlanApiTests_Production() : PlanApiTests(Profile.Production);
