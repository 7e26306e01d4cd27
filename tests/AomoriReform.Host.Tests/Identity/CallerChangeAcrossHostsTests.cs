using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AomoriReform.Workflows.Callers;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests.Identity;

/// <summary>
/// Two hosts on one PostgreSQL database: a host that keeps a caller between requests still ends
/// their session as soon as another host signs them out (the database's notification).
/// </summary>
[Collection(SharedHost.Name)]
public sealed class CallerChangeAcrossHostsTests : IAsyncLifetime
{
    private TestDatabase database = null!;

    public async Task InitializeAsync() => database = await TestDatabase.CreateAsync(Profile.Production);

    public async Task DisposeAsync() => await database.DisposeAsync();

    [Fact]
    public async Task A_sign_out_on_one_host_ends_the_session_on_another_that_kept_the_caller()
    {
        await using var first = new ReformApp(database, "Development");
        await using var second = new ReformApp(database, "Development");
        var login = await first.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "jinji.staff@demo.local", password = ReformApp.DemoPassword });
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        var here = first.CreateClient();
        here.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var elsewhere = second.CreateClient();
        elsewhere.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var kept = second.Services.GetRequiredService<CallerCache>();
        await Eventually.Get(() => Task.FromResult(kept.IsLive), live => live, because: "the second host's change feed to listen");

        var before = await elsewhere.GetAsync(new Uri("/api/me", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.True(kept.Count > 0, "the second host keeps the caller it resolved");

        var signedOut = await here.PostAsync(new Uri("/api/auth/logout", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await here.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode);

        // Its own interceptor never saw that commit: only the database's notification can tell it.
        var after = await Eventually.Get(async () => (await elsewhere.GetAsync(new Uri("/api/me", UriKind.Relative))).StatusCode,
            status => status == HttpStatusCode.Unauthorized, because: "the sign-out to reach the second host");
        Assert.Equal(HttpStatusCode.Unauthorized, after);
    }
}
