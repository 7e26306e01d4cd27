using System.Net;
using System.Net.Http.Json;
using AomoriReform.Host.Api;
using AomoriReform.Workflows.Hosting;
using Microsoft.Extensions.Configuration;

namespace AomoriReform.Tests.Api;

/// <summary>
/// The API's rate limits: writes and exports per signed-in account, per client address without a
/// sign-in, each refusal a 429 problem+json with Retry-After; reads are not limited.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class RateLimitTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Embedded);
        app = new ReformApp(database, "Development", new Dictionary<string, string?>
        {
            ["RateLimits:WritesPerMinute"] = "3",
            ["RateLimits:ExportsPerMinute"] = "2",
            ["RateLimits:AnonymousPerMinute"] = "2",
        });
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private static async Task AssertTooMany(HttpResponseMessage response, string title)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var seconds = int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(seconds, 1, 60);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Equal($"Wait {seconds} seconds before trying again.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Writes_are_limited_per_account_and_reads_are_not()
    {
        var staff = await app.SignedInAsync("gyosei-keiei.staff@demo.local");
        var other = await app.SignedInAsync("kikaku-chosei.staff@demo.local");
        var nowhere = new Uri($"/api/notifications/{Guid.NewGuid()}/read", UriKind.Relative);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.NotFound, (await staff.PostAsync(nowhere, null)).StatusCode);
        }

        await AssertTooMany(await staff.PostAsync(nowhere, null), "Too many changes");
        // Another account has its own window; reads are not counted.
        Assert.Equal(HttpStatusCode.NotFound, (await other.PostAsync(nowhere, null)).StatusCode);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);
        }
    }

    [Fact]
    public async Task Exports_are_limited_per_account()
    {
        var staff = await app.SignedInAsync("gyosei-keiei.staff@demo.local");
        var export = new Uri("/api/plan/export", UriKind.Relative);
        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync(export)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await staff.GetAsync(export)).StatusCode);
        await AssertTooMany(await staff.GetAsync(export), "Too many exports");
    }

    [Fact]
    public async Task Anonymous_writes_are_limited_per_client_address()
    {
        var anonymous = app.CreateClient();
        var logout = new Uri("/api/auth/logout", UriKind.Relative);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(logout, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(logout, null)).StatusCode);
        await AssertTooMany(await anonymous.PostAsync(logout, null), "Too many changes");
        // The sign-in has its own limit (Identity:LoginsPerClientPerMinute), not the anonymous one.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsJsonAsync("/api/auth/login", new { email = "gyosei-keiei.staff@demo.local", password = ReformApp.DemoPassword })).StatusCode);
    }

    [Fact]
    public async Task The_sign_in_limit_keeps_its_own_answer()
    {
        await using var strict = new ReformApp(database, "Development", new Dictionary<string, string?> { ["Identity:LoginsPerClientPerMinute"] = "1" });
        var client = strict.CreateClient();
        await client.PostAsJsonAsync("/api/auth/login", new { email = "nobody@demo.local", password = "wrong-password-here" });
        await AssertTooMany(await client.PostAsJsonAsync("/api/auth/login", new { email = "nobody@demo.local", password = "wrong-password-here" }), "Too many sign-in attempts");
    }

    [Theory]
    [InlineData("RateLimits:WritesPerMinute", "0")]
    [InlineData("RateLimits:ExportsPerMinute", "lots")]
    [InlineData("RateLimits:AnonymousPerMinute", "-5")]
    public void A_bad_limit_stops_start_up_naming_the_setting(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var error = Assert.Throws<ReformConfigurationException>(() => RateLimitSettings.From(configuration));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Equal(new RateLimitSettings(600, 60, 120), RateLimitSettings.From(new ConfigurationBuilder().Build()));
    }
}
