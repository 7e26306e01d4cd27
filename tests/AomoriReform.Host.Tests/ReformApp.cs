using System.Net.Http.Headers;
using System.Net.Http.Json;
using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Tests;

/// <summary>
/// The real Host in-process on a test database, in one of the two profiles. Hangfire keeps
/// process-wide state, so every class that boots one is in the <see cref="SharedHost"/>.
/// </summary>
public sealed class ReformApp(TestDatabase database, string environment = "Development", IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    : WebApplicationFactory<Program>
{
    public const string DemoPassword = "Demo-Password-For-Tests";

    /// <summary>The journal key every test host signs with unless a test sets its own (base64 of 32 bytes).</summary>
    public const string JournalKey = "dGVzdC1qb3VybmFsLWtleS0zMi1ieXRlcy1sb25nISE=";

    public TestDatabase Database { get; } = database;

    /// <summary>Every line the host logged, as "Category: message".</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("Demo:Password", DemoPassword);
        builder.UseSetting("Journal:Key", JournalKey);
        // Tests sign in many accounts from one address, and the same account many times a minute on a
        // fast machine (one shared host per browser class); the throttle's own tests set both lower.
        builder.UseSetting("Identity:LoginsPerClientPerMinute", "10000");
        builder.UseSetting("Identity:LoginsPerAccountPerMinute", "10000");
        // Tests write and export fast from few accounts; the rate limits' own tests set them lower.
        builder.UseSetting("RateLimits:WritesPerMinute", "1000000");
        builder.UseSetting("RateLimits:ExportsPerMinute", "1000000");
        builder.UseSetting("RateLimits:AnonymousPerMinute", "1000000");
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

        builder.ConfigureLogging(logging => logging.AddProvider(new LogSink(Logs)));
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

/// <summary>Keeps the host's log lines for assertions.</summary>
internal sealed class LogSink(System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILoggerProvider
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<string> lines) : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue($"{category}: {formatter(state, exception)}");
            }
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SharedHost
{
    public const string Name = "Host";
}
