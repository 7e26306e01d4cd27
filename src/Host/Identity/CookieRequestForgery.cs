using Microsoft.AspNetCore.Antiforgery;

namespace AomoriReform.Host.Identity;

/// <summary>
/// Cross-site request forgery defence for browser sessions. A state-changing <c>/api</c> request
/// that is authenticated by the sign-in cookie (not by a bearer token, which a browser never
/// sends by itself) must carry the antiforgery token from <c>GET /api/auth/antiforgery</c> in
/// the <c>X-XSRF-TOKEN</c> header; otherwise it is refused with 400 and changes nothing. The
/// cookie is also SameSite=Strict; this covers sibling sub-domains, which count as same-site.
/// </summary>
public static class CookieRequestForgery
{
    public const string HeaderName = "X-XSRF-TOKEN";

    public sealed record AntiforgeryResponse(string HeaderName, string Token);

    public static IResult IssueAsync(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return TypedResults.Ok(new AntiforgeryResponse(HeaderName, tokens.RequestToken!));
    }

    public static WebApplication UseCookieRequestForgeryCheck(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            if (NeedsToken(context.Request) && !await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context))
            {
                await TypedResults.ValidationProblem(
                    new Dictionary<string, string[]> { [HeaderName] = ["missing or invalid; get one from GET /api/auth/antiforgery"] },
                    title: "Antiforgery token required",
                    detail: $"A request signed in by cookie must send the {HeaderName} header.").ExecuteAsync(context);
                return;
            }

            await next(context);
        });
        return app;
    }

    private static bool NeedsToken(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        && request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase)
        && !request.Path.StartsWithSegments("/api/auth/login", StringComparison.OrdinalIgnoreCase)
        && !IsBearer(request)
        && request.Cookies.ContainsKey(SignInExtensions.CookieName);

    /// <summary>
    /// Exactly as the bearer handler reads the header (a case-sensitive "Bearer " prefix): a
    /// request that handler would not authenticate is not exempt, so "bearer x" with a cookie
    /// still needs the antiforgery token.
    /// </summary>
    private static bool IsBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { } header && header.StartsWith("Bearer ", StringComparison.Ordinal);
}
