using System.Globalization;
using System.Threading.RateLimiting;

namespace AomoriReform.Host.Identity;

/// <summary>
/// Limits sign-in attempts per client address (the rate-limiting middleware, before the body is
/// read) and per account (here, once the email is known), each in a one-minute window, answering
/// 429 with <c>Retry-After</c>. Lockout after repeated wrong passwords is Identity's, in the
/// database, so it holds across hosts; these windows are per host.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    public const string ClientPolicy = "login-per-client";

    private readonly PartitionedRateLimiter<string> perAccount;

    public LoginThrottle(int perAccountPerMinute)
    {
        perAccount = PartitionedRateLimiter.Create<string, string>(email => RateLimitPartition.GetFixedWindowLimiter(email, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perAccountPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));
    }

    /// <summary>Null when this account may try now; otherwise the seconds to wait.</summary>
    public int? Acquire(string email)
    {
        using var lease = perAccount.AttemptAcquire(email.Trim().ToUpperInvariant());
        return lease.IsAcquired ? null : RetryAfter(lease);
    }

    private static int RetryAfter(RateLimitLease lease) => lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? (int)Math.Ceiling(wait.TotalSeconds) : 60;

    public void Dispose() => perAccount.Dispose();

    /// <summary>The title of the sign-in's 429, from this throttle and from the per-client policy (the rate limiter's OnRejected, in RateLimits).</summary>
    public const string TooManyTitle = "Too many sign-in attempts";

    internal sealed class TooManyAttempts(int retryAfterSeconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: TooManyTitle,
                detail: $"Wait {retryAfterSeconds} seconds before trying again.").ExecuteAsync(httpContext);
        }
    }
}

public static class LoginThrottleExtensions
{
    /// <summary><c>Identity:LoginsPerClientPerMinute</c> (default 30) and <c>Identity:LoginsPerAccountPerMinute</c> (default 10).</summary>
    public static IHostApplicationBuilder AddLoginThrottle(this IHostApplicationBuilder builder)
    {
        var settings = IdentitySettings.From(builder.Configuration);
        var perClient = settings.LoginsPerClientPerMinute;
        var perAccount = settings.LoginsPerAccountPerMinute;
        builder.Services.AddSingleton(new LoginThrottle(perAccount));
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(LoginThrottle.ClientPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = perClient, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        return builder;
    }
}
