using AomoriReform.Host.Web;

namespace AomoriReform.Host.Api;

/// <summary>
/// Headers on every response, errors included (they are set as the response starts, after any
/// exception handler has cleared the response): no MIME sniffing, no framing, no referrer, a
/// content security policy, and no caching of API answers, which carry personal and
/// pre-decision information.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>API answers are data, never a page: nothing may load or frame them.</summary>
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>
    /// Our own pages (the web UI): own origin only, no inline script, and no inline style but the one
    /// stylesheet Blazor's script adds (allowed by its hash; a browser test fails if it changes).
    /// </summary>
    public const string UiPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'sha256-EddaIl3LGB3wIun7qzQTvofddpzeLWyulbdzEeloM68='; img-src 'self' data:; font-src 'self'; "
        + "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    /// <summary>Library pages (the API reference, the job dashboard), which need inline script: own origin only.</summary>
    public const string PagePolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        + "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                var isApi = context.Request.IsApi();
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()";
                headers.ContentSecurityPolicy = isApi ? ApiPolicy : context.Request.IsLibraryPage() ? PagePolicy : UiPolicy;
                if (isApi && !headers.ContainsKey(Microsoft.Net.Http.Headers.HeaderNames.CacheControl))
                {
                    headers.CacheControl = "no-store";
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }
}
