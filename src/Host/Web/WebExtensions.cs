using System.Globalization;
using AomoriReform.Host.Api;
using AomoriReform.Host.Web.Components;
using Microsoft.AspNetCore.Localization;

namespace AomoriReform.Host.Web;

/// <summary>
/// The web UI: Blazor components rendered on the server as plain HTML (static server rendering),
/// forms that post with antiforgery tokens, Japanese by default with an English switch kept in a
/// cookie. It calls the same application services and authorization policies as the API.
/// </summary>
public static class WebExtensions
{
    public static readonly CultureInfo Japanese = CultureInfo.GetCultureInfo("ja-JP");
    public static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-GB");

    public const string CultureCookie = "aomori.lang";

    public static WebApplicationBuilder AddWebUi(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents();
        // Japanese text as it is in the HTML, not as numeric character references.
        builder.Services.Configure<Microsoft.Extensions.WebEncoders.WebEncoderOptions>(options =>
            options.TextEncoderSettings = new System.Text.Encodings.Web.TextEncoderSettings(System.Text.Unicode.UnicodeRanges.All));
        builder.Services.AddLocalization();
        builder.Services.AddCascadingAuthenticationState();
        builder.Services.Configure<RequestLocalizationOptions>(options =>
        {
            options.DefaultRequestCulture = new RequestCulture(Japanese);
            options.SupportedCultures = [Japanese, English];
            options.SupportedUICultures = [Japanese, English];
            // Japanese unless the person chose English with the switch: never the browser's language.
            options.RequestCultureProviders = [new CookieRequestCultureProvider { CookieName = CultureCookie }];
        });
        return builder;
    }

    /// <summary>Is this request for the API (JSON, problem details) rather than a page? The open-data files are data too.</summary>
    public static bool IsApi(this HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/health") || request.Path.StartsWithSegments("/openapi")
        || request.Path.StartsWithSegments("/open-data");

    /// <summary>Pages that libraries render (the API reference, the job dashboard), not ours.</summary>
    public static bool IsLibraryPage(this HttpRequest request) =>
        request.Path.StartsWithSegments("/scalar") || request.Path.StartsWithSegments("/hangfire");

    /// <summary>Is this request for one of our own pages (the web UI)?</summary>
    public static bool IsUi(this HttpRequest request) => !request.IsApi() && !request.IsLibraryPage();

    /// <summary>
    /// For our pages: a crash renders the 500 page and an error status the matching page, both in
    /// the same style and language (the API keeps its problem details).
    /// </summary>
    public static WebApplication UseWebUiErrors(this WebApplication app)
    {
        app.UseWhen(context => context.Request.IsUi(), web =>
        {
            web.UseExceptionHandler("/error/500", createScopeForErrors: true);
            web.UseStatusCodePagesWithReExecute("/error/{0}");
            web.UseStorageOutageAnswers(asProblem: false);
            // Identity's combined scheme challenges with a bare 401: a page sends the person to sign in.
            web.Use(async (context, next) =>
            {
                await next(context);
                if (context.Response.StatusCode == StatusCodes.Status401Unauthorized && !context.Response.HasStarted)
                {
                    context.Response.Headers.WWWAuthenticate = default;
                    context.Response.Redirect("/signin?returnUrl=" + Uri.EscapeDataString(context.Request.PathBase + context.Request.Path + context.Request.QueryString));
                }
            });
        });
        return app;
    }

    /// <summary>Page requests get the culture (before anything renders text) and Blazor's form antiforgery.</summary>
    public static WebApplication UseWebUi(this WebApplication app)
    {
        app.UseWhen(context => context.Request.IsUi(), web => web.UseRequestLocalization());
        return app;
    }

    public static WebApplication MapWebUi(this WebApplication app)
    {
        app.MapStaticAssets().AllowAnonymous();
        app.MapGet("/lang/{culture}", SwitchLanguage).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/signout", SignOutAsync).RequireAuthorization(Identity.Policies.SignedIn).ExcludeFromDescription();
        app.MapRazorComponents<App>();
        return app;
    }

    /// <summary>The language switch in the header: a plain link, so it works without script.</summary>
    private static IResult SwitchLanguage(string culture, string? returnUrl, HttpContext context)
    {
        var chosen = culture == "en" ? English : Japanese;
        context.Response.Cookies.Append(
            CultureCookie,
            CookieRequestCultureProvider.MakeCookieValue(new RequestCulture(chosen)),
            new CookieOptions { MaxAge = TimeSpan.FromDays(365), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true, Secure = context.Request.IsHttps });
        return TypedResults.LocalRedirect(IsLocal(returnUrl) ? returnUrl! : "/");
    }

    /// <summary>The header's sign-out button: ends every session of the account, as the API's logout does.</summary>
    private static async Task<IResult> SignOutAsync(HttpContext context, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, Identity.SessionEnd sessions)
    {
        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return TypedResults.Redirect("/error/400");
        }

        await sessions.EndAllAsync(context.User);
        return TypedResults.Redirect("/signin");
    }

    public static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl);
}
