using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Hosting;
using Microsoft.AspNetCore.RateLimiting;

namespace AomoriReform.Host.Api;

/// <summary>
/// The <c>RateLimits:*</c> settings, per minute, read and checked once at start (a malformed or
/// out-of-range value stops start-up with one line naming it). The defaults are far above what a
/// person clicking through the UI or a nightly integration script does; they stop a runaway loop.
/// </summary>
public sealed record RateLimitSettings(int WritesPerMinute, int ExportsPerMinute, int AnonymousPerMinute)
{
    public const int DefaultWrites = 600;
    public const int DefaultExports = 60;
    public const int DefaultAnonymous = 120;
    public const int Max = 10_000_000;

    public static RateLimitSettings From(IConfiguration configuration) => new(
        Number(configuration, nameof(WritesPerMinute), DefaultWrites),
        Number(configuration, nameof(ExportsPerMinute), DefaultExports),
        Number(configuration, nameof(AnonymousPerMinute), DefaultAnonymous));

    private static int Number(IConfiguration configuration, string name, int fallback)
    {
        var key = $"RateLimits:{name}";
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= Max
            ? value
            : throw new ReformConfigurationException(key, $"must be a whole number from 1 to {Max} (default {fallback}), not '{text}'");
    }
}

/// <summary>
/// ASP.NET Core's rate limiter for the API. Every write (POST, PUT, PATCH, DELETE under
/// <c>/api</c>) and every export (a route ending in <c>/export</c> or <c>/pdf</c>) is limited per
/// signed-in account (the user id claim), and per client address for anonymous callers, in
/// one-minute windows. An endpoint that names its own policy (<c>RequireRateLimiting</c>: the
/// sign-in, the open data) is limited by that policy instead. Every refusal is one 429
/// problem+json with <c>Retry-After</c>, titled for its policy (<see cref="Titles"/>).
/// </summary>
public static class RateLimits
{
    /// <summary>The kinds of the global limiter; they name the limit in the OpenAPI document and the 429's title.</summary>
    public const string WritesPolicy = "writes";
    public const string ExportsPolicy = "exports";

    /// <summary>The 429 title for each policy; a feature that adds a policy adds its title here.</summary>
    public static IReadOnlyDictionary<string, string> Titles { get; } = new Dictionary<string, string>
    {
        [WritesPolicy] = "Too many changes",
        [ExportsPolicy] = "Too many exports",
        [LoginThrottle.ClientPolicy] = LoginThrottle.TooManyTitle,
    };

    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        var settings = RateLimitSettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, settings));
            limiter.OnRejected = (context, _) => new ValueTask(TooMany(context.HttpContext, context.Lease).ExecuteAsync(context.HttpContext));
        });
        return builder;
    }

    /// <summary>Which global limit an endpoint falls under: writes, exports, or none (reads, pages, and endpoints with their own policy).</summary>
    public static string? KindOf(string method, string? route, EndpointMetadataCollection metadata)
    {
        if (route is null || metadata.GetMetadata<EnableRateLimitingAttribute>() is not null || metadata.GetMetadata<DisableRateLimitingAttribute>() is not null)
        {
            return null;
        }

        var path = "/" + route.TrimStart('/');
        if (!path.StartsWith("/api/", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var last = path.TrimEnd('/').Split('/')[^1];
        if (last.Equals("export", StringComparison.OrdinalIgnoreCase) || last.Equals("pdf", StringComparison.OrdinalIgnoreCase))
        {
            return ExportsPolicy;
        }

        return HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method) ? WritesPolicy : null;
    }

    /// <summary>The policy that limits an endpoint (its own, or the global kind), or null when none does.</summary>
    public static string? PolicyOf(string method, string? route, EndpointMetadataCollection metadata) =>
        metadata.GetMetadata<DisableRateLimitingAttribute>() is not null ? null
        : metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName ?? KindOf(method, route, metadata);

    /// <summary>
    /// In words, for the OpenAPI document: how much the policy allows by default and the setting that
    /// changes it. The document is the product's contract, the same whatever a host is configured with.
    /// </summary>
    public static string Describe(string policy) => policy switch
    {
        WritesPolicy => $"{RateLimitSettings.DefaultWrites} requests a minute per account by default (RateLimits:WritesPerMinute) for all writes together; {RateLimitSettings.DefaultAnonymous} a minute per client address without a sign-in (RateLimits:AnonymousPerMinute)",
        ExportsPolicy => $"{RateLimitSettings.DefaultExports} exports a minute per account by default (RateLimits:ExportsPerMinute); {RateLimitSettings.DefaultAnonymous} a minute per client address without a sign-in (RateLimits:AnonymousPerMinute)",
        LoginThrottle.ClientPolicy => $"{IdentitySettings.DefaultLoginsPerClientPerMinute} attempts a minute per client address by default (Identity:LoginsPerClientPerMinute) and {IdentitySettings.DefaultLoginsPerAccountPerMinute} per account (Identity:LoginsPerAccountPerMinute)",
        AomoriReform.Host.OpenData.OpenDataRateLimit.Name => $"{new AomoriReform.Workflows.OpenData.OpenDataOptions().PermitsPerMinute} requests a minute per client address by default (OpenData:PermitsPerMinute), for the open-data files and the residents' page together",
        _ => throw new InvalidOperationException($"The rate limit policy '{policy}' has no description for the OpenAPI document."),
    };

    private static RateLimitPartition<string> Partition(HttpContext context, RateLimitSettings settings)
    {
        var endpoint = context.GetEndpoint();
        var kind = endpoint is RouteEndpoint route ? KindOf(context.Request.Method, route.RoutePattern.RawText, route.Metadata) : null;
        if (kind is null)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        if (context.User.Identity?.IsAuthenticated == true && context.User.FindFirstValue(ClaimTypes.NameIdentifier) is { } userId)
        {
            var permits = kind == ExportsPolicy ? settings.ExportsPerMinute : settings.WritesPerMinute;
            return Window($"{kind}:user:{userId}", permits);
        }

        return Window($"{kind}:address:{context.Connection.RemoteIpAddress?.ToString() ?? "unknown"}", settings.AnonymousPerMinute);
    }

    private static RateLimitPartition<string> Window(string key, int permits) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });

    /// <summary>The one 429 of every policy: problem+json with <c>Retry-After</c>, titled for the policy that refused.</summary>
    private static IResult TooMany(HttpContext context, RateLimitLease lease)
    {
        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
        var policy = context.GetEndpoint() is RouteEndpoint route ? PolicyOf(context.Request.Method, route.RoutePattern.RawText, route.Metadata) : null;
        if (policy == LoginThrottle.ClientPolicy)
        {
            // The sign-in's own answer, word for word.
            return new LoginThrottle.TooManyAttempts(seconds);
        }

        var title = policy is not null && Titles.TryGetValue(policy, out var named) ? named : "Too many requests";
        return new TooManyRequests(title, seconds);
    }

    private sealed class TooManyRequests(string title, int retryAfterSeconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: title,
                detail: $"Wait {retryAfterSeconds} seconds before trying again.").ExecuteAsync(httpContext);
        }
    }
}
