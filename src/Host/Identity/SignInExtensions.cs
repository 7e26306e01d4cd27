using System.Security.Claims;
using AomoriReform.Host.Api;
using AomoriReform.Host.Web;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AomoriReform.Host.Identity;

/// <summary>Claim types the product adds to a signed-in principal.</summary>
public static class ReformClaims
{
    public const string Section = "aomori:section";
    public const string Department = "aomori:department";
    public const string DisplayName = "aomori:name";
}

public static partial class SignInExtensions
{
    public const string CookieName = "aomori.auth";

    /// <summary>The longest refresh token read (longer is 400 before it is unprotected); access tokens are of the same kind.</summary>
    public const int MaxRefreshTokenLength = 4096;

    /// <summary>
    /// ASP.NET Core Identity on our database: bearer tokens for the API, cookies for the web
    /// UI, data-protection keys in the database so every host reads every token.
    /// </summary>
    public static IHostApplicationBuilder AddSignIn(this IHostApplicationBuilder builder)
    {
        // Cookies are secure-only in Production; Development and the embedded default serve plain http://localhost.
        var securePolicy = builder.Environment.IsProduction() ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
        var settings = IdentitySettings.From(builder.Configuration);
        builder.Services.AddSingleton(settings);
        builder.Services
            .AddIdentityApiEndpoints<ReformUser>(identity =>
            {
                identity.User.RequireUniqueEmail = true;
                identity.SignIn.RequireConfirmedAccount = true;
                identity.Password.RequiredLength = 12;
                // Length over composition rules (NIST SP 800-63B).
                identity.Password.RequireNonAlphanumeric = false;
                identity.Password.RequireDigit = false;
                identity.Password.RequireUppercase = false;
                identity.Password.RequireLowercase = false;
                identity.Lockout.MaxFailedAccessAttempts = settings.LockoutFailures;
                identity.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(settings.LockoutMinutes);
            })
            .AddEntityFrameworkStores<ReformDbContext>()
            .AddClaimsPrincipalFactory<ReformClaimsPrincipalFactory>()
            .AddSignInManager<ReformSignInManager>();
        builder.Services.AddScoped<RefreshTokenStore>();
        builder.Services.AddSingleton<SignInCounters>();
        builder.Services.AddTransient<IUserConfirmation<ReformUser>, ActiveUserConfirmation>();
        // Runs after the bearer scheme's own configuration, which sets the token's protector: it is kept, and wrapped.
        builder.Services.AddOptions<BearerTokenOptions>(IdentityConstants.BearerScheme).Configure<TimeProvider>((bearer, time) =>
        {
            bearer.BearerTokenExpiration = TimeSpan.FromMinutes(settings.AccessTokenMinutes);
            bearer.RefreshTokenExpiration = TimeSpan.FromDays(settings.RefreshTokenDays);
            bearer.BearerTokenProtector = new BearerTicketCache(bearer.BearerTokenProtector, time);
        });
        builder.Services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = securePolicy;
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(settings.CookieMinutes);
            cookie.SlidingExpiration = true;
            // The API answers 401/403; a page sends the person to the sign-in page, or shows the 403 page.
            cookie.LoginPath = "/signin";
            cookie.Events.OnRedirectToLogin = context => context.Request.IsApi()
                ? Status(context.Response, StatusCodes.Status401Unauthorized)
                : Redirect(context.Response, "/signin?returnUrl=" + Uri.EscapeDataString(context.Request.PathBase + context.Request.Path + context.Request.QueryString));
            cookie.Events.OnRedirectToAccessDenied = context => Status(context.Response, StatusCodes.Status403Forbidden);
        });
        builder.AddKeyProtection();
        builder.Services.AddAuthorizationBuilder().AddReformPolicies();
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<IAuthorizationHandler, CallerAuthorizationHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, SessionAwareResultHandler>();
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.HeaderName = CookieRequestForgery.HeaderName;
            antiforgery.Cookie.Name = "aomori.xsrf";
            antiforgery.Cookie.SecurePolicy = securePolicy;
        });
        builder.AddLoginThrottle();
        builder.Services.AddScoped<PasswordSignIn>();
        builder.Services.AddScoped<SessionEnd>();
        builder.Services.AddScoped<CurrentCaller>();
        return builder;
    }

    private static Task Redirect(HttpResponse response, string location)
    {
        response.Redirect(location);
        return Task.CompletedTask;
    }

    private static Task Status(HttpResponse response, int status)
    {
        response.StatusCode = status;
        return Task.CompletedTask;
    }

    public static WebApplication MapSignIn(this WebApplication app)
    {
        var auth = app.MapGroup("/api/auth").WithTags("Identity");
        auth.MapPost("/login", LoginAsync).AllowAnonymous().RequireRateLimiting(LoginThrottle.ClientPolicy)
            .WithSummary("Signs in with email and password: a bearer token, or with useCookies=true the sign-in cookie")
            .WithDescription("Signs in with email and password. The answer is the bearer token and a refresh token; with `?useCookies=true` it is an empty 200 that sets the sign-in cookie instead. "
                + "Every refusal (unknown email, wrong password, locked out, inactive) is the same 401, so it tells nothing about the account.")
            .Produces<AccessTokenResponse>().ProducesProblem(StatusCodes.Status401Unauthorized).WithRequestExample(ApiExamples.Login).WithResponseExample(StatusCodes.Status200OK, ApiExamples.Token);
        auth.MapPost("/refresh", RefreshAsync).AllowAnonymous().RequireRateLimiting(LoginThrottle.ClientPolicy)
            .WithSummary("Exchanges a refresh token, once, for new tokens (a used one presented again ends every session of the account)")
            .Produces<AccessTokenResponse>().ProducesProblem(StatusCodes.Status401Unauthorized);
        auth.MapPost("/logout", LogoutAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("Signs out: ends every session of the account (cookies, access and refresh tokens)")
            .Produces(StatusCodes.Status204NoContent);
        auth.MapGet("/antiforgery", CookieRequestForgery.IssueAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The antiforgery token a cookie-signed-in client sends on writes")
            .Produces<CookieRequestForgery.AntiforgeryResponse>();
        app.MapGet("/api/me", MeAsync).WithTags("Identity").RequireAuthorization(Policies.SignedIn)
            .WithSummary("The caller's own account: email, name, role, section and department")
            .Produces<MeResponse>();
        return app;
    }

    /// <summary>The detail of every refused password sign-in.</summary>
    public const string SignInFailed = "Wrong email or password, or the account is locked after repeated failures or not active.";

    public sealed record LoginRequest(string? Email, string? Password);

    public sealed record RefreshRequest(string? RefreshToken);

    public sealed record MeResponse(string Email, string DisplayName, IReadOnlyList<string> Roles, string? SectionCode, string? DepartmentCode);

    /// <summary>
    /// Signs in with email and password. The bearer handler writes
    /// <c>{tokenType, accessToken, expiresIn, refreshToken}</c>; with <c>?useCookies=true</c>
    /// the cookie handler sets the sign-in cookie instead.
    /// </summary>
    private static async Task<IResult> LoginAsync(LoginRequest login, bool? useCookies, PasswordSignIn passwords)
    {
        var outcome = await passwords.SignInAsync(login.Email, login.Password, useCookies == true);
        switch (outcome.Kind)
        {
            case PasswordSignInKind.Invalid:
                return TypedResults.ValidationProblem(outcome.Errors, title: "The request is not valid");
            case PasswordSignInKind.Throttled:
                return new LoginThrottle.TooManyAttempts(outcome.RetryAfterSeconds);
            case PasswordSignInKind.Failed:
                // One answer for every refusal (unknown email, wrong password, locked out, inactive), so
                // it does not tell which emails have accounts; the time taken is the same too.
                return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sign-in failed", detail: SignInFailed);
        }

        // The authentication handler has already written the token or the cookie.
        return TypedResults.Empty;
    }

    /// <summary>
    /// Exchanges a refresh token for new tokens, once: the token is marked used and its successor
    /// issued. A used token presented again was copied, so every session of the account ends
    /// (new security stamp) and the caller gets 401.
    /// </summary>
    private static async Task<IResult> RefreshAsync(
        RefreshRequest refresh, SignInManager<ReformUser> signIn, IOptionsMonitor<BearerTokenOptions> bearer, TimeProvider time,
        RefreshTokenStore refreshTokens, ILogger<RefreshTokenStore> logger, CancellationToken cancellationToken)
    {
        var protector = bearer.Get(IdentityConstants.BearerScheme).RefreshTokenProtector;
        if (refresh.RefreshToken is { } token && (token.Length > MaxRefreshTokenLength || token.Any(char.IsControl)))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["refreshToken"] = [$"at most {MaxRefreshTokenLength} characters, no control characters"] }, title: "The request is not valid");
        }

        var refused = TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Refresh failed", detail: "The refresh token is invalid, expired or already used.");
        var ticket = string.IsNullOrEmpty(refresh.RefreshToken) ? null : protector.Unprotect(refresh.RefreshToken);
        if (ticket?.Properties.ExpiresUtc is not { } expires || time.GetUtcNow() >= expires
            || await signIn.ValidateSecurityStampAsync(ticket.Principal) is not { } user
            || !await signIn.CanSignInAsync(user))
        {
            return refused;
        }

        var (outcome, family) = await refreshTokens.UseAsync(user.Id, ticket.Principal, cancellationToken);
        if (outcome == RefreshOutcome.Reused)
        {
            LogRefreshReused(logger, user.Email ?? user.Id);
            await signIn.UserManager.UpdateSecurityStampAsync(user);
        }

        if (outcome != RefreshOutcome.Used)
        {
            return refused;
        }

        var principal = await signIn.CreateUserPrincipalAsync(user);
        ((ClaimsIdentity)principal.Identity!).AddClaim(await refreshTokens.IssueAsync(user.Id, family, cancellationToken));
        return TypedResults.SignIn(principal, authenticationScheme: IdentityConstants.BearerScheme);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A used refresh token of {Account} was presented again; every session of the account is ended")]
    private static partial void LogRefreshReused(ILogger logger, string account);

    /// <summary>
    /// Ends every session of the account: the cookie is removed, and the new security stamp makes
    /// every earlier cookie, access token and refresh token of the account answer 401.
    /// </summary>
    private static async Task<IResult> LogoutAsync(ClaimsPrincipal principal, SessionEnd sessions)
    {
        await sessions.EndAllAsync(principal);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> MeAsync(ClaimsPrincipal principal, UserManager<ReformUser> users)
    {
        var user = await users.GetUserAsync(principal);
        if (user is null || !user.IsActive)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in");
        }

        return TypedResults.Ok(new MeResponse(user.Email!, user.DisplayName, [user.Role.ToString()], user.SectionCode, user.DepartmentCode));
    }
}

/// <summary>Adds the role, section and department to the principal the tokens and cookies carry.</summary>
public sealed class ReformClaimsPrincipalFactory(UserManager<ReformUser> users, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<ReformUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(ReformUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(ClaimTypes.Role, user.Role.ToString()));
        identity.AddClaim(new Claim(ReformClaims.DisplayName, user.DisplayName));
        if (user.SectionCode is not null)
        {
            identity.AddClaim(new Claim(ReformClaims.Section, user.SectionCode));
        }

        if (user.DepartmentCode is not null)
        {
            identity.AddClaim(new Claim(ReformClaims.Department, user.DepartmentCode));
        }

        return identity;
    }
}

/// <summary>Deactivated users (no longer in the organisation file) cannot sign in.</summary>
/// <summary>
/// Deactivated users (no longer in the organisation file) cannot sign in, nor can demo accounts
/// outside demo mode (a database first run in Development and then put into Production).
/// </summary>
public sealed class ActiveUserConfirmation(ReformProfile profile) : IUserConfirmation<ReformUser>
{
    public Task<bool> IsConfirmedAsync(UserManager<ReformUser> manager, ReformUser user) => Task.FromResult(user.IsActive && (profile.DemoEnabled || !user.IsDemo));
}
