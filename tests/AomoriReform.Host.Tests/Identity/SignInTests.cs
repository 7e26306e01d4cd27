using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AomoriReform.Workflows.Organisation;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Identity;

[Collection(SharedHost.Name)]
public abstract class SignInTests(Profile profile) : IAsyncLifetime
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

    [Fact]
    public async Task A_demo_user_signs_in_and_reads_who_they_are()
    {
        var client = app.CreateClient();

        var login = await client.PostAsJsonAsync("/api/auth/login", new { email = "gyosei-keiei.chief@demo.local", password = ReformApp.DemoPassword });
        var token = await login.Content.ReadFromJsonAsync<JsonElement>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("accessToken").GetString());
        var me = await client.GetFromJsonAsync<JsonElement>("/api/me");

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal("Bearer", token.GetProperty("tokenType").GetString());
        Assert.Equal(3600, token.GetProperty("expiresIn").GetInt32());
        Assert.False(string.IsNullOrEmpty(token.GetProperty("refreshToken").GetString()));
        Assert.Equal("gyosei-keiei.chief@demo.local", me.GetProperty("email").GetString());
        Assert.Equal(["SectionChief"], me.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("gyosei-keiei", me.GetProperty("sectionCode").GetString());
        Assert.Equal("somu", me.GetProperty("departmentCode").GetString());
        Assert.Contains("行政経営管理課", me.GetProperty("displayName").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/me")]
    [InlineData("/api/plan")]
    [InlineData("/api/plan/export")]
    public async Task Api_endpoints_answer_401_without_a_valid_token(string path)
    {
        var anonymous = app.CreateClient();
        var forged = app.CreateClient();
        forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-a-token");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_is_401_problem_json()
    {
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "hq.admin@demo.local", password = "wrong-password" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_login_without_fields_is_400_naming_them()
    {
        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "" });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty("email", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task A_refresh_token_gives_a_new_access_token()
    {
        var client = app.CreateClient();
        var login = await (await client.PostAsJsonAsync("/api/auth/login", new { email = "hq.reviewer@demo.local", password = ReformApp.DemoPassword }))
            .Content.ReadFromJsonAsync<JsonElement>();

        var refreshed = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = login.GetProperty("refreshToken").GetString() });
        var bogus = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "bogus" });

        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.False(string.IsNullOrEmpty((await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString()));
        Assert.Equal(HttpStatusCode.Unauthorized, bogus.StatusCode);
    }

    [Fact]
    public async Task A_cookie_sign_in_works_for_the_web_ui_and_sign_out_ends_it()
    {
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = true });

        var login = await client.PostAsJsonAsync("/api/auth/login?useCookies=true", new { email = "auditor@demo.local", password = ReformApp.DemoPassword });
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("aomori.auth=", StringComparison.Ordinal)).Split(';')[0];
        var me = await client.GetAsync(new Uri("/api/me", UriKind.Relative));
        var forged = await client.PostAsync(new Uri("/api/auth/logout", UriKind.Relative), null);
        var stillIn = await client.GetAsync(new Uri("/api/me", UriKind.Relative));
        var antiforgery = await client.GetFromJsonAsync<JsonElement>("/api/auth/antiforgery");
        using var logout = new HttpRequestMessage(HttpMethod.Post, "/api/auth/logout");
        logout.Headers.Add(antiforgery.GetProperty("headerName").GetString()!, antiforgery.GetProperty("token").GetString());
        var loggedOut = await client.SendAsync(logout);
        var after = await client.GetAsync(new Uri("/api/me", UriKind.Relative));
        var replay = app.CreateClient();
        replay.DefaultRequestHeaders.Add("Cookie", cookie);
        var replayed = await replay.GetAsync(new Uri("/api/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains(login.Headers.GetValues("Set-Cookie"), c => c.Contains("httponly", StringComparison.OrdinalIgnoreCase) && c.Contains("samesite=strict", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        // A cookie request without the antiforgery header is refused and changes nothing.
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.True((await forged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("X-XSRF-TOKEN", out _));
        Assert.Equal(HttpStatusCode.OK, stillIn.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, loggedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        // The cookie copied before the sign-out no longer works either.
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
    }

    [Fact]
    public async Task A_deactivated_user_cannot_sign_in()
    {
        await app.WithDbAsync(async db =>
        {
            var user = await db.Users.SingleAsync(u => u.Email == "jinji.staff@demo.local");
            user.IsActive = false;
            return await db.SaveChangesAsync();
        });

        var response = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "jinji.staff@demo.local", password = ReformApp.DemoPassword });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Every_section_that_owns_a_measure_has_staff_and_chief_demo_accounts()
    {
        var (owners, accounts) = await app.WithDbAsync(async db => (
            await db.Measures.Select(m => m.OwnerSectionCode).Distinct().ToListAsync(),
            (await db.Users.Where(u => u.IsDemo).Select(u => new { u.Email, u.Role, u.SectionCode }).ToListAsync())
                .Select(u => (u.Email, u.Role, u.SectionCode)).ToList()));

        Assert.NotEmpty(owners);
        foreach (var section in owners)
        {
            Assert.Contains(($"{section}.staff@demo.local", Role.Staff, (string?)section), accounts);
            Assert.Contains(($"{section}.chief@demo.local", Role.SectionChief, (string?)section), accounts);
        }

        Assert.Contains(accounts, a => a.Email == "somu.head@demo.local" && a.Role == Role.DepartmentHead);
        Assert.All(new[] { "hq.reviewer", "hq.admin", "committee", "auditor" }, local => Assert.Contains(accounts, a => a.Email == $"{local}@demo.local"));
    }
}

public sealed class SignInTests_Embedded() : SignInTests(Profile.Embedded);

public sealed class SignInTests_Production() : SignInTests(Profile.Production);

/// <summary>Production never has demo accounts or sample data.</summary>
[Collection(SharedHost.Name)]
public abstract class ProductionSignInTests(Profile profile)
{
    [Fact]
    public async Task Demo_accounts_do_not_exist_in_production()
    {
        await using var database = await TestDatabase.CreateAsync(profile);
        await using var app = new ReformApp(database, "Production");

        var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "hq.admin@demo.local", password = ReformApp.DemoPassword });

        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Equal(0, await app.WithDbAsync(db => db.Users.CountAsync()));
        Assert.False(await app.WithDbAsync(db => db.Plans.AnyAsync()));
    }
}

public sealed class ProductionSignInTests_Embedded() : ProductionSignInTests(Profile.Embedded);

public sealed class ProductionSignInTests_Production() : ProductionSignInTests(Profile.Production);
