using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AomoriReform.Workflows.Organisation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Identity;

/// <summary>
/// Single sign-on against a fake OpenID provider on loopback: the whole browser round trip
/// (our challenge, the provider's authorize redirect, our callback) driven by hand.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class SingleSignOnTests : IAsyncLifetime
{
    private const string AuthCookie = "aomori.auth";
    private FakeOpenIdProvider provider = null!;
    private TestDatabase database = null!;

    public async Task InitializeAsync()
    {
        // Started before any host, so the factory never mistakes the provider's host for ours.
        provider = await FakeOpenIdProvider.StartAsync();
        database = await TestDatabase.CreateAsync(Profile.Embedded);
    }

    public async Task DisposeAsync()
    {
        await database.DisposeAsync();
        await provider.DisposeAsync();
    }

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SingleSignOn:Authority"] = provider.Issuer,
            ["SingleSignOn:ClientId"] = FakeOpenIdProvider.ClientId,
            ["SingleSignOn:ClientSecret"] = FakeOpenIdProvider.ClientSecret,
            ["SingleSignOn:DisplayName"] = "青森県統合認証",
            ["SingleSignOn:RequireHttpsMetadata"] = "false",
            ["SingleSignOn:RoleClaim"] = "role",
            ["SingleSignOn:Roles:reform-staff"] = "Staff",
            ["SingleSignOn:Roles:reform-chief"] = "SectionChief",
            ["SingleSignOn:Roles:reform-head"] = "DepartmentHead",
            ["SingleSignOn:SectionClaim"] = "section",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private ReformApp Start(Dictionary<string, string?> settings)
    {
        var app = new ReformApp(database, "Development", settings);
        _ = app.Server;
        return app;
    }

    /// <summary>A browser: keeps cookies, does not follow redirects, speaks https to the host.</summary>
    private static HttpClient Browser(ReformApp app) => app.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        HandleCookies = true,
        BaseAddress = new Uri("https://localhost"),
    });

    /// <summary>
    /// The callback answers with our same-site bounce page, not a redirect: the navigation it starts is
    /// same-site, so the SameSite=Strict session cookie goes with it.
    /// </summary>
    private static async Task AssertBounceAsync(HttpResponseMessage callback, string to = "/plan")
    {
        Assert.Equal(HttpStatusCode.OK, callback.StatusCode);
        Assert.Equal("text/html", callback.Content.Headers.ContentType?.MediaType);
        var page = await callback.Content.ReadAsStringAsync();
        var url = System.Net.WebUtility.HtmlEncode(to);
        Assert.True(page.Contains($"<meta http-equiv=\"refresh\" content=\"0;url={url}\">", StringComparison.Ordinal), page);
        Assert.Contains($"<a href=\"{url}\">", page, StringComparison.Ordinal);
    }

    /// <summary>Our challenge, the provider's authorize step, our callback; returns the callback's answer.</summary>
    private async Task<HttpResponseMessage> SignInThroughProviderAsync(HttpClient browser, string returnUrl = "/plan")
    {
        var challenge = await browser.GetAsync(new Uri($"/api/auth/sso?returnUrl={Uri.EscapeDataString(returnUrl)}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, challenge.StatusCode);
        var authorize = challenge.Headers.Location!;
        Assert.StartsWith($"{provider.Issuer}/authorize?", authorize.AbsoluteUri, StringComparison.Ordinal);

        using var toProvider = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var back = await toProvider.GetAsync(authorize);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
        Assert.StartsWith("https://localhost/api/auth/sso/callback?", back.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);

        return await browser.GetAsync(back.Headers.Location);
    }

    private static IEnumerable<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [];

    [Fact]
    public async Task A_directory_user_signs_in_with_the_role_and_section_the_claims_give()
    {
        await using var app = Start(Settings());
        var browser = Browser(app);
        var before = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "jinji.staff@demo.local"));
        provider.SignInAs("jinji.staff@demo.local", ("role", "reform-chief"), ("section", "kikaku-chosei"));

        var callback = await SignInThroughProviderAsync(browser, "/plan?year=2025");
        var me = await browser.GetAsync(new Uri("/api/me", UriKind.Relative));
        var body = await me.Content.ReadFromJsonAsync<JsonElement>();
        var after = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "jinji.staff@demo.local"));

        await AssertBounceAsync(callback, "/plan?year=2025");
        Assert.Contains(SetCookies(callback), c => c.StartsWith($"{AuthCookie}=", StringComparison.Ordinal));
        // Our Identity cookie is the only session: no external-scheme cookie is written.
        Assert.DoesNotContain(SetCookies(callback), c => c.StartsWith("Identity.External=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal(["SectionChief"], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("kikaku-chosei", body.GetProperty("sectionCode").GetString());
        Assert.Equal("kikaku-seisaku", body.GetProperty("departmentCode").GetString());
        Assert.Equal((Role.Staff, "jinji", "somu"), (before.Role, before.SectionCode, before.DepartmentCode));
        Assert.Equal((Role.SectionChief, "kikaku-chosei", "kikaku-seisaku"), (after.Role, after.SectionCode, after.DepartmentCode));
        Assert.NotEqual(before.SecurityStamp, after.SecurityStamp);
        // Authorization code with PKCE, and the provider checked the verifier.
        Assert.Equal("code", provider.LastAuthorizeRequest["response_type"]);
        Assert.Equal("S256", provider.LastAuthorizeRequest["code_challenge_method"]);
        Assert.Equal("openid profile email", provider.LastAuthorizeRequest["scope"]);
        Assert.Equal((1, 0), (provider.TokensIssued, provider.TokenRequestsRefused));
    }

    [Fact]
    public async Task A_department_head_claim_with_a_department_code_places_them_in_the_department()
    {
        await using var app = Start(Settings());
        var browser = Browser(app);
        provider.SignInAs("zaisei.chief@demo.local", ("role", "reform-head"), ("section", "somu"));

        var callback = await SignInThroughProviderAsync(browser);
        var after = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "zaisei.chief@demo.local"));

        await AssertBounceAsync(callback);
        Assert.Equal((Role.DepartmentHead, (string?)null, "somu"), (after.Role, after.SectionCode, after.DepartmentCode));
    }

    [Fact]
    public async Task Claims_that_map_to_no_role_or_an_unknown_section_leave_the_account_as_it_is()
    {
        await using var app = Start(Settings());
        var unmappedRole = Browser(app);
        var unknownSection = Browser(app);

        provider.SignInAs("jinji.staff@demo.local", ("role", "something-else"), ("section", "kikaku-chosei"));
        var first = await SignInThroughProviderAsync(unmappedRole);
        provider.SignInAs("jinji.staff@demo.local", ("role", "reform-chief"), ("section", "no-such-section"));
        var second = await SignInThroughProviderAsync(unknownSection);
        var after = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "jinji.staff@demo.local"));

        await AssertBounceAsync(first);
        await AssertBounceAsync(second);
        Assert.Equal((Role.Staff, "jinji", "somu"), (after.Role, after.SectionCode, after.DepartmentCode));
    }

    [Fact]
    public async Task An_unknown_email_is_refused_with_no_session()
    {
        await using var app = Start(Settings());
        var browser = Browser(app);
        provider.SignInAs("stranger@pref.aomori.example", ("role", "reform-staff"), ("section", "jinji"));

        var callback = await SignInThroughProviderAsync(browser);
        var me = await browser.GetAsync(new Uri("/api/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, callback.StatusCode);
        Assert.Equal("application/problem+json", callback.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(SetCookies(callback), c => c.StartsWith($"{AuthCookie}=", StringComparison.Ordinal));
        Assert.DoesNotContain(SetCookies(callback), c => c.StartsWith("Identity.External=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.False(await app.WithDbAsync(db => db.Users.AnyAsync(u => u.Email == "stranger@pref.aomori.example")));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("false")]
    public async Task An_email_the_provider_has_not_verified_links_no_account(string verified)
    {
        await using var app = Start(Settings());
        var browser = Browser(app);
        provider.SignInAs("jinji.staff@demo.local", ("role", "reform-staff"), ("section", "jinji"), ("email_verified", verified == "missing" ? FakeOpenIdProvider.Omit : false));

        var callback = await SignInThroughProviderAsync(browser);
        var me = await browser.GetAsync(new Uri("/api/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, callback.StatusCode);
        Assert.Equal("application/problem+json", callback.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.False(await app.WithDbAsync(db => db.UserLogins.AnyAsync()));
    }

    [Fact]
    public async Task After_the_first_sign_in_the_account_is_found_by_issuer_and_subject_and_another_subject_is_refused()
    {
        await using var app = Start(Settings());
        provider.SignInAs("jinji.staff@demo.local", ("role", "reform-staff"), ("section", "jinji"));
        var first = await SignInThroughProviderAsync(Browser(app));
        var logins = await app.WithDbAsync(db => db.UserLogins.AsNoTracking().Select(l => new { l.LoginProvider, l.ProviderKey, Email = db.Users.Single(u => u.Id == l.UserId).Email }).ToListAsync());

        // Another person of the directory claims the same email address: refused, the link stays.
        provider.SignInAs("jinji.staff@demo.local", ("sub", "sub-someone-else"), ("role", "reform-staff"), ("section", "jinji"));
        var impostor = Browser(app);
        var refused = await SignInThroughProviderAsync(impostor);
        var impostorMe = await impostor.GetAsync(new Uri("/api/me", UriKind.Relative));

        // The linked person is found by subject, even when the directory now sends an unverified, changed address.
        provider.SignInAs("renamed@pref.aomori.example", ("sub", "sub-jinji.staff@demo.local"), ("email_verified", FakeOpenIdProvider.Omit), ("role", "reform-staff"), ("section", "jinji"));
        var linked = Browser(app);
        var again = await SignInThroughProviderAsync(linked);
        var me = await linked.GetFromJsonAsync<JsonElement>("/api/me");

        await AssertBounceAsync(first);
        var login = Assert.Single(logins);
        Assert.Equal((provider.Issuer, "sub-jinji.staff@demo.local", "jinji.staff@demo.local"), (login.LoginProvider, login.ProviderKey, login.Email));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, impostorMe.StatusCode);
        await AssertBounceAsync(again);
        Assert.Equal("jinji.staff@demo.local", me.GetProperty("email").GetString());
        Assert.Equal(1, await app.WithDbAsync(db => db.UserLogins.CountAsync()));
    }

    [Fact]
    public async Task A_deactivated_user_is_refused_and_stays_as_they_were()
    {
        await using var app = Start(Settings());
        await app.WithDbAsync(async db =>
        {
            var user = await db.Users.SingleAsync(u => u.Email == "jinji.staff@demo.local");
            user.IsActive = false;
            return await db.SaveChangesAsync();
        });
        var browser = Browser(app);
        provider.SignInAs("jinji.staff@demo.local", ("role", "reform-chief"), ("section", "kikaku-chosei"));

        var callback = await SignInThroughProviderAsync(browser);
        var me = await browser.GetAsync(new Uri("/api/me", UriKind.Relative));
        var after = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "jinji.staff@demo.local"));

        Assert.Equal(HttpStatusCode.Forbidden, callback.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        Assert.Equal((false, Role.Staff, "jinji"), (after.IsActive, after.Role, after.SectionCode));
    }

    [Fact]
    public async Task With_CreateUsers_a_new_person_is_provisioned_only_from_a_complete_placement()
    {
        await using var app = Start(Settings(("SingleSignOn:CreateUsers", "true")));
        var newcomer = Browser(app);
        var unplaced = Browser(app);

        provider.SignInAs("new.person@pref.aomori.example", ("role", "reform-staff"), ("section", "zaisei"));
        var created = await SignInThroughProviderAsync(newcomer);
        var me = await newcomer.GetFromJsonAsync<JsonElement>("/api/me");
        provider.SignInAs("no.section@pref.aomori.example", ("role", "reform-staff"));
        var refused = await SignInThroughProviderAsync(unplaced);
        var row = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "new.person@pref.aomori.example"));

        await AssertBounceAsync(created);
        Assert.Equal("new.person@pref.aomori.example", me.GetProperty("email").GetString());
        Assert.Equal(["Staff"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("zaisei", me.GetProperty("sectionCode").GetString());
        Assert.Equal((Role.Staff, "zaisei", "somu", true, true, false), (row.Role, row.SectionCode, row.DepartmentCode, row.IsActive, row.EmailConfirmed, row.IsDemo));
        Assert.Null(row.PasswordHash);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(await app.WithDbAsync(db => db.Users.AnyAsync(u => u.Email == "no.section@pref.aomori.example")));
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/plan")]
    [InlineData("/\\evil.example")]
    [InlineData("plan")]
    public async Task A_return_url_that_is_not_local_is_400_naming_it(string returnUrl)
    {
        await using var app = Start(Settings());

        var response = await Browser(app).GetAsync(new Uri($"/api/auth/sso?returnUrl={Uri.EscapeDataString(returnUrl)}", UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(problem.GetProperty("errors").TryGetProperty("returnUrl", out _));
    }

    [Fact]
    public async Task The_providers_endpoint_lists_the_configured_provider()
    {
        await using var app = Start(Settings());

        var providers = await app.CreateClient().GetFromJsonAsync<JsonElement>("/api/auth/providers");

        var only = Assert.Single(providers.EnumerateArray());
        Assert.Equal("oidc", only.GetProperty("name").GetString());
        Assert.Equal("青森県統合認証", only.GetProperty("displayName").GetString());
        Assert.Equal("/api/auth/sso", only.GetProperty("signInPath").GetString());
    }

    [Fact]
    public async Task An_unreachable_provider_answers_503_and_starts_no_sign_in()
    {
        await using var app = Start(Settings(("SingleSignOn:Authority", "http://127.0.0.1:1/realms/aomori")));
        var browser = Browser(app);

        var challenge = await browser.GetAsync(new Uri("/api/auth/sso?returnUrl=/plan", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, challenge.StatusCode);
        Assert.Equal("application/problem+json", challenge.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("IDX", await challenge.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(SetCookies(challenge));
    }

    [Fact]
    public async Task Without_an_authority_there_is_no_single_sign_on()
    {
        await using var app = Start([]);
        var signedIn = await app.SignedInAsync("hq.admin@demo.local");

        var providers = await app.CreateClient().GetFromJsonAsync<JsonElement>("/api/auth/providers");
        var sso = await signedIn.GetAsync(new Uri("/api/auth/sso?returnUrl=/", UriKind.Relative));
        var scheme = await app.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetSchemeAsync("oidc");

        Assert.Equal(JsonValueKind.Array, providers.ValueKind);
        Assert.Empty(providers.EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, sso.StatusCode);
        Assert.Null(scheme);
    }
}

/// <summary>A wrong SingleSignOn setting stops start-up with one line naming it, exit code 2.</summary>
[Collection(SharedHost.Name)]
public sealed class SingleSignOnStartupTests
{
    [Theory]
    [InlineData("SingleSignOn__Roles__reform-boss", "Boss", "SingleSignOn:Roles:reform-boss")]
    [InlineData("SingleSignOn__Authority", "http://idp.pref.aomori.example/realms/aomori", "SingleSignOn:Authority")]
    [InlineData("SingleSignOn__Authority", "idp.pref.aomori.example", "SingleSignOn:Authority")]
    [InlineData("SingleSignOn__ClientId", "", "SingleSignOn:ClientId")]
    [InlineData("SingleSignOn__CreateUsers", "yes", "SingleSignOn:CreateUsers")]
    public async Task A_wrong_single_sign_on_setting_stops_start_up_with_one_line_naming_it(string variable, string value, string key)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Storage__DataDirectory"] = Directory.CreateTempSubdirectory("aomori-start-").FullName,
            ["SingleSignOn__Authority"] = "https://idp.pref.aomori.example/realms/aomori",
            ["SingleSignOn__ClientId"] = "aomori-reform",
            ["SingleSignOn__RoleClaim"] = "role",
            ["SingleSignOn__Roles__reform-staff"] = "Staff",
        };
        environment[variable] = value;

        var (exitCode, output, error) = await HostProcess.RunAsync(environment, "--urls", "http://127.0.0.1:0");

        Assert.Equal(2, exitCode);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"Configuration error: {key} ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }
}
