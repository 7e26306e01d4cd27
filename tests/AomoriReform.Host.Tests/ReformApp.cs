using System.Net.Http.Headers;
using System.Net.Http.Json;
using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace AomoriReform.Tests;

/// <summary>
/// The real Host in-process on a test database, in one of the two profiles. Hangfire keeps
/// process-wide state, so every class that boots one is in the <see cref="SharedHost"/>.
/// </summary>
public sealed class ReformApp(TestDatabase database, string environment = "Development", IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    : WebApplicationFactory<Program>
{
    public const string DemoPassword = "Demo-Password-For-Tests";

    public TestDatabase Database { get; } = database;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Demo:Password", DemoPassword);
        // Each test host has its own queues on the shared broker, gone when it disconnects.
        builder.UseSetting("Messaging:EndpointPrefix", $"t{Guid.NewGuid():N}"[..13]);
        builder.UseSetting("Messaging:TemporaryQueues", "true");
        foreach (var (key, value) in Database.Settings())
        {
            builder.UseSetting(key, value);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        if (time is not null)
        {
            builder.ConfigureTestServices(services => services.AddSingleton(time));
        }
    }

    public async Task<T> WithDbAsync<T>(Func<ReformDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<ReformDbContext>());
    }

    /// <summary>A client signed in with a bearer token.</summary>
    public async Task<HttpClient> SignedInAsync(string email, string password = DemoPassword)
    {
        var client = CreateClient();
        var response = await client.PostAsJsonAsync("/api/auth/login", new { email, password });
        response.EnsureSuccessStatusCode();
        var token = await response.Content.ReadFromJsonAsync<TokenResponse>();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token!.AccessToken);
        return client;
    }

    public sealed record TokenResponse(string TokenType, string AccessToken, int ExpiresIn, string RefreshToken);
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedHost
{
    public const string Name = "Host";
}
