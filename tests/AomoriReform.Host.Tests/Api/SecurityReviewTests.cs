using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Demo;
using AomoriReform.Workflows.Plan;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Api;

/// <summary>The findings of the security review (issue 10), each on both profiles.</summary>
[Collection(SharedHost.Name)]
public abstract class SecurityReviewTests(Profile profile) : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(profile);
        app = new ReformApp(database, "Development", time: time);
        _ = app.Server;
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static ByteArrayContent File(byte[] body, string mediaType) => new(body) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } };

    private static ByteArrayContent Yaml(string text) => File(Encoding.UTF8.GetBytes(text), "application/yaml");

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await Json(response);
    }

    [Fact]
    public async Task Deep_nesting_anchors_and_aliases_in_a_plan_file_get_400_naming_the_line_and_the_host_lives_on()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        var laughs = new StringBuilder("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (var i = 1; i < 9; i++)
        {
            laughs.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(',', Enumerable.Repeat($"*{(char)('a' + i - 1)}", 9))}]\n");
        }

        var bombs = new (string Name, string Yaml, string Message)[]
        {
            ("deep flow", "title: " + new string('[', 100_000) + new string(']', 100_000), "nested deeper than 64"),
            ("deep block", "title:\n" + string.Concat(Enumerable.Range(1, 200).Select(i => new string(' ', i) + "-\n")), "nested deeper than 64"),
            ("billion laughs", laughs.ToString(), "anchor"),
            ("alias only", "title: *nothing\n", "alias"),
        };

        foreach (var (name, yaml, message) in bombs)
        {
            var response = await admin.PostAsync(new Uri("/api/plan/import?dryRun=true", UriKind.Relative), Yaml(yaml));
            var body = await response.Content.ReadAsStringAsync();
            var problem = await ProblemAsync(response);
            var errors = problem.GetProperty("errors").EnumerateObject().ToList();
            Assert.True(body.Length < 4096, $"{name}: {body.Length} characters");
            Assert.StartsWith("line ", Assert.Single(errors).Name, StringComparison.Ordinal);
            Assert.Contains(message, errors[0].Value[0].GetString(), StringComparison.Ordinal);
        }

        // Still serving, and a good file still imports.
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync(new Uri("/api/plan/import?dryRun=true", UriKind.Relative), File(SampleFiles.Plan(), "application/yaml"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(new Uri("/api/plan", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_file_with_hundreds_of_errors_reports_the_first_100_and_how_many_more()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        var csv = new StringBuilder(string.Join(',', PlanFile.CsvColumns) + ",FY2025\n");
        for (var i = 0; i < 300; i++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"no-item,M-{i:000},t,no-section,,I1,t,u,x{i}\n");
        }

        var problem = await ProblemAsync(await admin.PostAsync(new Uri("/api/plan/import?dryRun=true", UriKind.Relative), File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv")));
        var messages = problem.GetProperty("errors").EnumerateObject().SelectMany(e => e.Value.EnumerateArray().Select(m => m.GetString()!)).ToList();

        Assert.Equal(101, messages.Count);
        Assert.Contains(problem.GetProperty("errors").GetProperty("file").EnumerateArray(), m => System.Text.RegularExpressions.Regex.IsMatch(m.GetString()!, "^and [0-9]+ more errors$"));
    }

    [Fact]
    public async Task Csv_exports_neutralise_formulas_and_the_plan_export_imports_back_unchanged()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
        var code = await app.WithDbAsync(async db =>
        {
            var measure = (await db.Measures.OrderBy(m => m.Code).ToListAsync()).First(m => m.Indicators.Count > 0);
            measure.Title = "-10%削減";
            var indicators = measure.Indicators.Select(i => new Indicator { Code = i.Code, Title = i.Title, Unit = i.Unit, Targets = new SortedDictionary<int, decimal>(i.Targets) }).ToList();
            indicators[0].Title = "=HYPERLINK(\"http://evil.example\",\"x\")";
            indicators[0].Unit = "@SUM(A1)";
            indicators[0].Targets[2025] = -5m;
            measure.Indicators = indicators;
            (await db.Viewpoints.OrderBy(v => v.Order).FirstAsync()).Title = "+cmd|' /C calc'!A0";
            await db.SaveChangesAsync();
            return measure.Code;
        });

        var export = await admin.GetByteArrayAsync(new Uri("/api/plan/export", UriKind.Relative));
        var text = Encoding.UTF8.GetString(export);
        var row = text.Split("\r\n").First(line => line.Contains($",{code},", StringComparison.Ordinal));
        var rollups = await Eventually.Get(
            async () => Encoding.UTF8.GetString(await admin.GetByteArrayAsync(new Uri("/api/rollups/export?fiscalYear=2025&format=csv", UriKind.Relative))),
            csv => csv.Contains("calc", StringComparison.Ordinal), because: "the rollup to list the viewpoint");
        var reimport = await admin.PostAsync(new Uri("/api/plan/import", UriKind.Relative), File(export, "text/csv"));
        var result = await Json(reimport);
        var after = await app.WithDbAsync(db => db.Measures.AsNoTracking().SingleAsync(m => m.Code == code));

        Assert.Contains(",'-10%削減,", row, StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"", row, StringComparison.Ordinal);
        Assert.Contains(",'@SUM(A1),", row, StringComparison.Ordinal);
        // A plain negative number stays a number.
        Assert.Contains(",-5", row, StringComparison.Ordinal);
        Assert.DoesNotContain(",'-5", row, StringComparison.Ordinal);
        Assert.Contains("'+cmd|' /C calc'!A0", rollups, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, reimport.StatusCode);
        Assert.Empty(result.GetProperty("measures").GetProperty("changed").EnumerateArray());
        Assert.Equal("-10%削減", after.Title);
        Assert.Equal(("=HYPERLINK(\"http://evil.example\",\"x\")", "@SUM(A1)", -5m), (after.Indicators[0].Title, after.Indicators[0].Unit, after.Indicators[0].Targets[2025]));
    }

    [Fact]
    public async Task A_cookie_session_with_a_lower_case_bearer_header_still_needs_the_antiforgery_token()
    {
        Assert.Equal(HttpStatusCode.Created, (await (await app.SignedInAsync("hq.admin@demo.local")).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = true });
        Assert.Equal(HttpStatusCode.OK, (await browser.PostAsJsonAsync("/api/auth/login?useCookies=true", new { email = "gyosei-keiei.staff@demo.local", password = ReformApp.DemoPassword })).StatusCode);
        var report = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking().Where(r => r.SectionCode == "gyosei-keiei").OrderBy(r => r.MeasureCode).FirstAsync());
        using var save = new HttpRequestMessage(HttpMethod.Put, $"/api/reports/{report.Id}")
        {
            Content = JsonContent.Create(new { version = report.Version, content = new { progress = "OnTrack", achievements = "forged", nextSteps = "forged" } }),
        };
        save.Headers.TryAddWithoutValidation("Authorization", "bearer x");

        var response = await browser.SendAsync(save);
        var after = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == report.Id));

        Assert.True((await ProblemAsync(response)).GetProperty("errors").TryGetProperty(CookieRequestForgery.HeaderName, out _));
        Assert.Equal(report.Version, after.Version);
    }

    [Theory]
    [InlineData("/api/reports")]
    [InlineData("/api/inbox")]
    public async Task A_page_number_too_large_is_400_naming_page(string path)
    {
        var staff = await app.SignedInAsync("gyosei-keiei.staff@demo.local");

        var overflow = await staff.GetAsync(new Uri($"{path}?page=4294969&pageSize=500", UriKind.Relative));
        var largest = await staff.GetAsync(new Uri($"{path}?page=100000&pageSize=500", UriKind.Relative));

        Assert.True((await ProblemAsync(overflow)).GetProperty("errors").TryGetProperty("page", out _));
        Assert.Equal(HttpStatusCode.OK, largest.StatusCode);
    }

    [Fact]
    public async Task Unknown_and_existing_accounts_get_the_same_answer_and_the_same_hashing_work()
    {
        var client = app.CreateClient();
        var counters = app.Services.GetRequiredService<SignInCounters>();
        async Task<(HttpStatusCode, string)> Login(string email)
        {
            var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password = "wrong-password-123" });
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var before = counters.DummyHashes;
        var unknown = await Login("nobody@demo.local");
        var afterUnknown = counters.DummyHashes;
        var existing = await Login("jinji.staff@demo.local");
        var afterExisting = counters.DummyHashes;
        for (var i = 0; i < 5; i++)
        {
            await Login("jinji.chief@demo.local");
        }

        var lockedBefore = counters.DummyHashes;
        var locked = await Login("jinji.chief@demo.local");
        var lockedAfter = counters.DummyHashes;
        for (var i = 0; i < 5; i++)
        {
            await Login("nobody@demo.local");
        }

        var unknownSixth = await Login("nobody@demo.local");

        Assert.Equal(HttpStatusCode.Unauthorized, unknown.Item1);
        Assert.Equal(unknown, existing);
        Assert.Equal(unknown, locked);
        Assert.Equal(unknown, unknownSixth);
        // The unknown account and the locked one cost a password hash, as a wrong password does.
        Assert.Equal((1, 0, 1), (afterUnknown - before, afterExisting - afterUnknown, lockedAfter - lockedBefore));
    }

    [Fact]
    public async Task A_refresh_token_works_once_and_its_reuse_ends_every_session_of_the_account()
    {
        var client = app.CreateClient();
        var login = await Json(await client.PostAsJsonAsync("/api/auth/login", new { email = "zaisei.staff@demo.local", password = ReformApp.DemoPassword }));
        var first = login.GetProperty("refreshToken").GetString();

        var rotated = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first });
        var second = await Json(rotated);
        var reused = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first });
        var successor = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = second.GetProperty("refreshToken").GetString() });
        var bearer = app.CreateClient();
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", second.GetProperty("accessToken").GetString());
        var me = await bearer.GetAsync(new Uri("/api/me", UriKind.Relative));
        var other = await app.SignedInAsync("zaisei.chief@demo.local");
        var rows = await app.WithDbAsync(db => db.RefreshTokens.AsNoTracking().ToListAsync());

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        Assert.NotEqual(first, second.GetProperty("refreshToken").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
        Assert.Equal("application/problem+json", reused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, successor.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);
        Assert.Single(rows.GroupBy(r => r.FamilyId), family => family.Count() == 2);
        Assert.All(rows, r => Assert.Equal(DateTimeKind.Utc, r.IssuedAt.Kind));
    }

    [Fact]
    public async Task An_organisation_file_listing_a_demo_email_is_400_naming_the_line_and_changes_nothing()
    {
        var admin = await app.SignedInAsync("hq.admin@demo.local");
        var sample = Encoding.UTF8.GetString(SampleFiles.Organisation()).TrimEnd('\n', '\r');
        var line = sample.Split('\n').Length + 1;
        var before = await app.WithDbAsync(db => db.Users.CountAsync());

        var response = await admin.PostAsync(new Uri("/api/org/import", UriKind.Relative),
            File(Encoding.UTF8.GetBytes(sample + "\nuser,jinji.staff@demo.local,人事 太郎,jinji,Staff\n"), "text/csv"));
        var problem = await ProblemAsync(response);

        Assert.Contains("demo", problem.GetProperty("errors").GetProperty($"line {line}")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await app.WithDbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task Anonymous_readiness_shows_statuses_only_and_an_hq_admin_sees_details()
    {
        var anonymous = await app.CreateClient().GetAsync(new Uri("/health/ready", UriKind.Relative));
        var admin = await (await app.SignedInAsync("hq.admin@demo.local")).GetAsync(new Uri("/health/ready", UriKind.Relative));
        var staff = await (await app.SignedInAsync("jinji.staff@demo.local")).GetAsync(new Uri("/health/ready", UriKind.Relative));

        var checks = (await Json(anonymous)).GetProperty("checks");
        Assert.All(checks.EnumerateObject(), check => Assert.Equal(["status"], check.Value.EnumerateObject().Select(p => p.Name)));
        Assert.All((await Json(staff)).GetProperty("checks").EnumerateObject(), check => Assert.Equal(["status"], check.Value.EnumerateObject().Select(p => p.Name)));
        Assert.All((await Json(admin)).GetProperty("checks").EnumerateObject(), check => Assert.True(check.Value.TryGetProperty("description", out _)));
    }

    [Fact]
    public async Task X_forwarded_for_is_believed_only_from_a_known_proxy()
    {
        await using var proxied = new ReformApp(database, "Development", new Dictionary<string, string?>
        {
            ["ForwardedHeaders:KnownProxies"] = "10.0.0.1, 10.0.0.2",
            ["ForwardedHeaders:KnownNetworks:0"] = "192.168.7.0/24",
            ["Identity:LoginsPerClientPerMinute"] = "2",
            ["Identity:LoginsPerAccountPerMinute"] = "100",
        });
        var host = proxied.WithWebHostBuilder(builder => builder.ConfigureTestServices(services => services.AddSingleton<IStartupFilter, PeerFromTestHeader>()));

        async Task<HttpStatusCode> Login(string peer, string forwardedFor)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { email = "jinji.staff@demo.local", password = ReformApp.DemoPassword }) };
            request.Headers.Add(PeerFromTestHeader.Header, peer);
            request.Headers.Add("X-Forwarded-For", forwardedFor);
            return (await host.CreateClient().SendAsync(request)).StatusCode;
        }

        // An unknown peer cannot pick a fresh address per attempt: its own address is the window.
        var unknown = new[] { await Login("203.0.113.9", "1.1.1.1"), await Login("203.0.113.9", "1.1.1.2"), await Login("203.0.113.9", "1.1.1.3") };
        // Through a known proxy (an address or a network), each client has its own window.
        var known = new[] { await Login("10.0.0.1", "198.51.100.1"), await Login("10.0.0.2", "198.51.100.2"), await Login("192.168.7.40", "198.51.100.3"), await Login("10.0.0.1", "198.51.100.4") };
        var sameClient = new[] { await Login("10.0.0.1", "198.51.100.5"), await Login("10.0.0.2", "198.51.100.5"), await Login("10.0.0.1", "198.51.100.5") };

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], unknown);
        Assert.All(known, status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], sameClient);
    }

    /// <summary>The test server has no TCP peer; this sets one from a header, before the app's own middleware.</summary>
    private sealed class PeerFromTestHeader : IStartupFilter
    {
        public const string Header = "X-Test-Peer";

        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(nextMiddleware => context =>
            {
                if (context.Request.Headers.TryGetValue(Header, out var peer))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(peer.ToString());
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

public sealed class SecurityReviewTests_Embedded() : SecurityReviewTests(Profile.Embedded);

public sealed class SecurityReviewTests_Production() : SecurityReviewTests(Profile.Production);

/// <summary>Forwarded-header settings are checked at start, like every other setting.</summary>
public sealed class ForwardedHeaderSettingTests
{
    [Theory]
    [InlineData("ForwardedHeaders__KnownProxies", "10.0.0.1,not-an-address", "ForwardedHeaders:KnownProxies")]
    [InlineData("ForwardedHeaders__KnownNetworks", "10.0.0.0/99", "ForwardedHeaders:KnownNetworks")]
    [InlineData("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true", "ASPNETCORE_FORWARDEDHEADERS_ENABLED")]
    public async Task A_bad_forwarded_header_setting_stops_start_up_with_one_line_naming_it(string variable, string value, string key)
    {
        var (exitCode, _, error) = await HostProcess.RunAsync(
            new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["Demo__Password"] = ReformApp.DemoPassword,
                ["Storage__DataDirectory"] = Directory.CreateTempSubdirectory("aomori-start-").FullName,
                [variable] = value,
            },
            "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"Configuration error: {key} ", error.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Trim());
    }
}
