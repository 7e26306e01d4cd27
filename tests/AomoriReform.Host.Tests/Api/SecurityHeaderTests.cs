using System.Net;
using System.Net.Http.Json;
using AomoriReform.Workflows.Organisation;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Api;

/// <summary>The headers every response carries, HSTS outside Development, and Secure cookies in Production.</summary>
[Collection(SharedHost.Name)]
public sealed class SecurityHeaderTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private readonly List<ReformApp> apps = [];

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync(Profile.Embedded);

    public async Task DisposeAsync()
    {
        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        await database.DisposeAsync();
    }

    private ReformApp Host(string environment)
    {
        var app = new ReformApp(database, environment);
        apps.Add(app);
        return app;
    }

    [Theory]
    [InlineData("/health/live", HttpStatusCode.OK)]
    [InlineData("/api/me", HttpStatusCode.Unauthorized)]
    [InlineData("/api/no-such-thing", HttpStatusCode.Unauthorized)]
    public async Task Every_answer_forbids_sniffing_framing_referrers_and_caching(string path, HttpStatusCode status)
    {
        var response = await Host("Development").CreateClient().GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Server"));
        Assert.False(response.Headers.Contains("X-Powered-By"));
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Pages_get_a_same_origin_content_security_policy()
    {
        var response = await Host("Development").CreateClient().GetAsync(new Uri("/scalar/v1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_sends_hsts_over_https_and_marks_the_sign_in_cookie_secure()
    {
        var app = Host("Production");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ReformUser>>();
            var admin = new ReformUser { UserName = "admin@pref.example.jp", Email = "admin@pref.example.jp", EmailConfirmed = true, DisplayName = "管理者", Role = Role.HqAdmin };
            Assert.True((await users.CreateAsync(admin, "A-long-enough-password")).Succeeded);
        }

        var https = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://reform.pref.aomori.example") });
        var health = await https.GetAsync(new Uri("/health/live", UriKind.Relative));
        var login = await https.PostAsJsonAsync("/api/auth/login?useCookies=true", new { email = "admin@pref.example.jp", password = "A-long-enough-password" });

        Assert.Equal("max-age=31536000", health.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("aomori.auth=", StringComparison.Ordinal));
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
    }
}
