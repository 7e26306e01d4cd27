using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AomoriReform.Host.Identity;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Identity;

/// <summary>Lockout, login rate limits, token lifetimes, sign-out of bearer sessions and demo accounts in Production, on PostgreSQL.</summary>
[Collection(SharedHost.Name)]
public sealed class SignInHardeningTests : IAsyncLifetime
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private readonly List<ReformApp> apps = [];
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync(Profile.Production);

    public async Task DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        await database.DisposeAsync();
    }

    private ReformApp Host(string environment = "Development", params (string Key, string Value)[] settings)
    {
        var app = new ReformApp(database, environment, settings.ToDictionary(s => s.Key, s => (string?)s.Value), time);
        apps.Add(app);
        _ = app.Server;
        return app;
    }

    private static Task<HttpResponseMessage> Login(HttpClient client, string email, string password = ReformApp.DemoPassword) =>
        client.PostAsJsonAsync("/api/auth/login", new { email, password });

    private static async Task<JsonElement> Json(HttpResponseMessage response) => await response.Content.ReadFromJsonAsync<JsonElement>();

    private static HttpClient Bearer(ReformApp app, string accessToken)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    [Fact]
    public async Task Repeated_wrong_passwords_lock_the_account_even_against_the_right_one()
    {
        var app = Host();
        var client = app.CreateClient();

        var failures = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            failures.Add((await Login(client, "zeimu.staff@demo.local", "wrong-password-123")).StatusCode);
        }

        var locked = await Login(client, "zeimu.staff@demo.local");
        // Identity keeps lockouts on the system clock (it takes no TimeProvider).
        var lockoutEnd = await app.WithDbAsync(db => db.Users.Where(u => u.Email == "zeimu.staff@demo.local").Select(u => u.LockoutEnd).SingleAsync());
        var other = await Login(client, "zaisei.chief@demo.local");

        Assert.All(failures, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains("locked", (await Json(locked)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.InRange(lockoutEnd!.Value - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(14), TimeSpan.FromMinutes(15));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Too_many_attempts_on_one_account_get_429_while_other_accounts_still_sign_in()
    {
        var app = Host(settings: ("Identity:LoginsPerAccountPerMinute", "3"));
        var client = app.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await Login(client, "JINJI.staff@demo.local", "wrong-password-123")).StatusCode);
        }

        var throttled = await Login(client, "jinji.staff@demo.local");
        var other = await Login(client, "zaisei.staff@demo.local");

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal("application/problem+json", throttled.Content.Headers.ContentType?.MediaType);
        Assert.True(int.Parse(throttled.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) is > 0 and <= 60);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Too_many_sign_ins_from_one_client_get_429()
    {
        var app = Host(settings: ("Identity:LoginsPerClientPerMinute", "4"));
        var client = app.CreateClient();

        var statuses = new List<HttpStatusCode>();
        foreach (var section in new[] { "jinji", "zaisei", "zeimu", "kanri", "doro" })
        {
            statuses.Add((await Login(client, $"{section}.staff@demo.local")).StatusCode);
        }

        var refresh = await client.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = "x" });

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, refresh.StatusCode);
        Assert.Equal("application/problem+json", refresh.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Tokens_live_as_long_as_configured_and_refresh_until_the_refresh_token_expires()
    {
        var app = Host(settings: [("Identity:AccessTokenMinutes", "5"), ("Identity:RefreshTokenDays", "1")]);
        var login = await Json(await Login(app.CreateClient(), "doro.staff@demo.local"));
        var access = login.GetProperty("accessToken").GetString()!;
        var refreshToken = login.GetProperty("refreshToken").GetString()!;

        var fresh = await Bearer(app, access).GetAsync(new Uri("/api/me", UriKind.Relative));
        time.Advance(TimeSpan.FromMinutes(6));
        var expired = await Bearer(app, access).GetAsync(new Uri("/api/me", UriKind.Relative));
        var refreshed = await app.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken });
        var renewed = await Bearer(app, (await Json(refreshed)).GetProperty("accessToken").GetString()!).GetAsync(new Uri("/api/me", UriKind.Relative));
        time.Advance(TimeSpan.FromDays(2));
        var tooLate = await app.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken });

        Assert.Equal(300, login.GetProperty("expiresIn").GetInt32());
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, renewed.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, tooLate.StatusCode);
    }

    [Fact]
    public async Task Signing_out_ends_every_token_of_the_account_at_once()
    {
        var app = Host();
        var first = await Json(await Login(app.CreateClient(), "kanri.chief@demo.local"));
        var second = await Json(await Login(app.CreateClient(), "kanri.chief@demo.local"));
        var other = await Json(await Login(app.CreateClient(), "kanri.staff@demo.local"));
        // Both tokens used before the sign-out: what was read from them is kept (BearerTicketCache), and must not outlive it.
        var before = await Bearer(app, second.GetProperty("accessToken").GetString()!).GetAsync(new Uri("/api/me", UriKind.Relative));
        var cache = (BearerTicketCache)app.Services.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>().Get(IdentityConstants.BearerScheme).BearerTokenProtector;
        var kept = cache.Holds(second.GetProperty("accessToken").GetString()!);

        var signedOut = await Bearer(app, first.GetProperty("accessToken").GetString()!).PostAsync(new Uri("/api/auth/logout", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.True(kept);
        Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Bearer(app, first.GetProperty("accessToken").GetString()!).GetAsync(new Uri("/api/inbox", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Bearer(app, second.GetProperty("accessToken").GetString()!).GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);
        // Refused although its ticket was answered from the cache: the security stamp decided, not the token's reading.
        Assert.True(cache.Holds(second.GetProperty("accessToken").GetString()!));
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await app.CreateClient().PostAsJsonAsync("/api/auth/refresh", new { refreshToken = first.GetProperty("refreshToken").GetString() })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Bearer(app, other.GetProperty("accessToken").GetString()!).GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Login(app.CreateClient(), "kanri.chief@demo.local")).StatusCode);
    }

    [Fact]
    public async Task A_production_start_refuses_demo_accounts_left_in_the_database_and_says_how_to_create_the_first_admin()
    {
        // The database was first run in Development, so it holds demo accounts and a token of one.
        var development = Host();
        var token = (await Json(await Login(development.CreateClient(), "hq.admin@demo.local"))).GetProperty("accessToken").GetString()!;
        await development.DisposeAsync();
        apps.Remove(development);

        var production = Host("Production");
        var login = await Login(production.CreateClient(), "hq.admin@demo.local");
        var oldToken = await Bearer(production, token).GetAsync(new Uri("/api/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, oldToken.StatusCode);
        var hint = Assert.Single(production.Logs, line => line.Contains("No HqAdmin exists", StringComparison.Ordinal));
        Assert.Contains("create-admin --email", hint, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', hint);
    }
}
