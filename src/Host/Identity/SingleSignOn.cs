using System.Security.Claims;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace AomoriReform.Host.Identity;

/// <summary>
/// The <c>SingleSignOn</c> settings: sign-in through a prefecture's OpenID Connect directory.
/// Absent (no <c>Authority</c>) means single sign-on is off.
/// </summary>
public sealed record SingleSignOnSettings
{
    public const string SectionName = "SingleSignOn";

    public required Uri Authority { get; init; }
    public required string ClientId { get; init; }
    public string? ClientSecret { get; init; }
    public required string DisplayName { get; init; }
    public required IReadOnlyList<string> Scopes { get; init; }
    public required string EmailClaim { get; init; }
    public string? RoleClaim { get; init; }

    /// <summary>Role claim value -> our role. Matching ignores case, as configuration keys do.</summary>
    public required IReadOnlyDictionary<string, Role> Roles { get; init; }
    public string? SectionClaim { get; init; }
    public bool RequireHttpsMetadata { get; init; } = true;
    public bool CreateUsers { get; init; }

    /// <summary>Reads and checks the settings; null when single sign-on is off. A bad value throws naming the key.</summary>
    public static SingleSignOnSettings? From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var authorityText = Blank(section["Authority"]);
        if (authorityText is null)
        {
            return null;
        }

        var requireHttps = Bool(section, "RequireHttpsMetadata", defaultValue: true);
        if (!Uri.TryCreate(authorityText, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
        {
            throw new ReformConfigurationException(Key("Authority"), "must be an absolute https:// URI of the OpenID provider, such as https://idp.pref.aomori.example/realms/aomori");
        }

        if (authority.Scheme != Uri.UriSchemeHttps && requireHttps)
        {
            throw new ReformConfigurationException(Key("Authority"), $"must use https:// (set {Key("RequireHttpsMetadata")}=false only for a local test provider)");
        }

        var clientId = Blank(section["ClientId"])
            ?? throw new ReformConfigurationException(Key("ClientId"), "is required when SingleSignOn:Authority is set");

        var scopesSection = section.GetSection("Scopes");
        var scopes = (scopesSection.Value is { } scopeText
                ? scopeText.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : scopesSection.GetChildren().Select(s => s.Value?.Trim()).OfType<string>().Where(s => s.Length > 0))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (scopes.Count == 0)
        {
            scopes = ["openid", "profile", "email"];
        }
        else if (!scopes.Contains("openid", StringComparer.Ordinal))
        {
            throw new ReformConfigurationException(Key("Scopes"), "must include openid");
        }

        var roles = new Dictionary<string, Role>(StringComparer.OrdinalIgnoreCase);
        foreach (var mapping in section.GetSection("Roles").GetChildren())
        {
            if (!Workflows.Organisation.Roles.TryParse(mapping.Value, out var role))
            {
                throw new ReformConfigurationException(
                    Key($"Roles:{mapping.Key}"), $"must name one of our roles ({string.Join(", ", Workflows.Organisation.Roles.All)})");
            }

            roles[mapping.Key] = role;
        }

        var roleClaim = Blank(section["RoleClaim"]);
        if (roleClaim is not null && roles.Count == 0)
        {
            throw new ReformConfigurationException(Key("Roles"), "must map at least one claim value to a role when SingleSignOn:RoleClaim is set (SingleSignOn__Roles__<claim value>=<role>)");
        }

        if (roleClaim is null && roles.Count > 0)
        {
            throw new ReformConfigurationException(Key("RoleClaim"), "must name the claim that carries the values SingleSignOn:Roles maps");
        }

        return new SingleSignOnSettings
        {
            Authority = authority,
            ClientId = clientId,
            ClientSecret = Blank(section["ClientSecret"]),
            DisplayName = Blank(section["DisplayName"]) ?? "Single sign-on",
            Scopes = scopes,
            EmailClaim = Blank(section["EmailClaim"]) ?? "email",
            RoleClaim = roleClaim,
            Roles = roles,
            SectionClaim = Blank(section["SectionClaim"]),
            RequireHttpsMetadata = requireHttps,
            CreateUsers = Bool(section, "CreateUsers", defaultValue: false),
        };
    }

    private static string Key(string name) => $"{SectionName}:{name}";

    private static bool Bool(IConfigurationSection section, string name, bool defaultValue) =>
        Blank(section[name]) is not { } text ? defaultValue
        : bool.TryParse(text, out var value) ? value
        : throw new ReformConfigurationException(Key(name), "must be true or false");

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <summary>
/// Optional single sign-on through OpenID Connect (authorization code with PKCE). The
/// directory only proves who the person is; the session is our own Identity cookie, so
/// every endpoint and policy works unchanged.
/// </summary>
public static partial class SingleSignOn
{
    public const string Scheme = "oidc";
    public const string SignInPath = "/api/auth/sso";
    public const string CallbackPath = "/api/auth/sso/callback";

    public static WebApplicationBuilder AddSingleSignOn(this WebApplicationBuilder builder)
    {
        var settings = SingleSignOnSettings.From(builder.Configuration);
        if (settings is null)
        {
            return builder;
        }

        builder.Services.AddSingleton(settings);
        builder.Services.AddScoped<SingleSignOnUsers>();
        builder.Services.AddAuthentication().AddOpenIdConnect(Scheme, settings.DisplayName, oidc =>
        {
            oidc.Authority = settings.Authority.AbsoluteUri;
            oidc.RequireHttpsMetadata = settings.RequireHttpsMetadata;
            oidc.ClientId = settings.ClientId;
            oidc.ClientSecret = settings.ClientSecret;
            oidc.ResponseType = OpenIdConnectResponseType.Code;
            oidc.ResponseMode = OpenIdConnectResponseMode.Query;
            oidc.UsePkce = true;
            oidc.Scope.Clear();
            foreach (var scope in settings.Scopes)
            {
                oidc.Scope.Add(scope);
            }

            oidc.CallbackPath = CallbackPath;
            // Claim names as the provider sends them, so the configured claim names match.
            oidc.MapInboundClaims = false;
            oidc.GetClaimsFromUserInfoEndpoint = false;
            oidc.SaveTokens = false;
            // Never signed in with (the token-validated event ends the request first); named so
            // the handler does not fall back to a scheme that could become a session.
            oidc.SignInScheme = IdentityConstants.ExternalScheme;
            // The callback is a top-level GET (response mode query), so Lax cookies come back;
            // the defaults (SameSite=None, always Secure) would need HTTPS even for a local provider.
            oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
            oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.NonceCookie.SameSite = SameSiteMode.Lax;
            oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            oidc.Events.OnTokenValidated = TokenValidatedAsync;
            oidc.Events.OnRemoteFailure = RemoteFailureAsync;
        });
        return builder;
    }

    public static WebApplication MapSingleSignOn(this WebApplication app)
    {
        var settings = app.Services.GetService<SingleSignOnSettings>();
        var auth = app.MapGroup("/api/auth").WithTags("Identity");
        IReadOnlyList<ProviderResponse> providers = settings is null ? [] : [new ProviderResponse(Scheme, settings.DisplayName, SignInPath)];
        auth.MapGet("/providers", () => TypedResults.Ok(providers)).AllowAnonymous()
            .WithSummary("The single sign-on providers the sign-in page offers (none when single sign-on is off)")
            .Produces<IReadOnlyList<ProviderResponse>>();
        if (settings is not null)
        {
            auth.MapGet("/sso", Challenge).AllowAnonymous();
        }

        return app;
    }

    public sealed record ProviderResponse(string Name, string DisplayName, string SignInPath);

    /// <summary>Starts the sign-in at the provider; afterwards the browser comes back to <paramref name="returnUrl"/>.</summary>
    private static async Task<IResult> Challenge(string? returnUrl, HttpContext context, ILogger<SingleSignOnSettings> logger)
    {
        returnUrl = string.IsNullOrEmpty(returnUrl) ? "/" : returnUrl;
        if (!IsLocalUrl(returnUrl))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["returnUrl"] = ["must be a local path such as /plan"] },
                title: "The return URL is not local");
        }

        try
        {
            // The handler reads the provider's discovery document here; an unreachable provider is
            // the operator's problem to fix, not a 500 for the person signing in.
            await context.ChallengeAsync(Scheme, new AuthenticationProperties { RedirectUri = returnUrl });
            return TypedResults.Empty;
        }
        catch (InvalidOperationException e) when (!context.Response.HasStarted)
        {
            LogProviderUnreachable(logger, e.Message.ReplaceLineEndings(" "));
            return TypedResults.Problem(
                statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Single sign-on is unavailable",
                detail: "The sign-in provider cannot be reached. Try again later, or sign in with a password.");
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Single sign-on provider unreachable: {Reason}")]
    private static partial void LogProviderUnreachable(ILogger logger, string reason);

    /// <summary>A path on this host: starts with one slash, no scheme, no protocol-relative or backslash tricks.</summary>
    public static bool IsLocalUrl(string url) =>
        url.Length > 0 && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(char.IsControl);

    private static async Task TokenValidatedAsync(TokenValidatedContext context)
    {
        var users = context.HttpContext.RequestServices.GetRequiredService<SingleSignOnUsers>();
        var refusal = await users.SignInAsync(context.Principal!, context.HttpContext.RequestAborted);
        // The request ends here: no external cookie, no second session besides our own.
        context.HandleResponse();
        if (refusal is not null)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Single sign-on refused", detail: refusal)
                .ExecuteAsync(context.HttpContext);
            return;
        }

        var returnUrl = context.Properties?.RedirectUri;
        await Bounce(context.HttpContext.Response, returnUrl is not null && IsLocalUrl(returnUrl) ? returnUrl : "/");
    }

    /// <summary>
    /// The same-site bounce: the callback arrives from the provider's site, so a redirect from it is
    /// still a cross-site navigation and the browser would not send our SameSite=Strict cookie with
    /// it. A small page of our own that moves on (a meta refresh, and a link for no-refresh browsers)
    /// makes the next request same-site, and the new session's cookie goes with it.
    /// </summary>
    internal static Task Bounce(HttpResponse response, string localUrl)
    {
        var url = System.Net.WebUtility.HtmlEncode(localUrl);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        return response.WriteAsync(
            $"<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"0;url={url}\">"
            + $"<title>ログインしました</title></head><body><p><a href=\"{url}\">続ける（Continue）</a></p></body></html>");
    }

    private static async Task RemoteFailureAsync(RemoteFailureContext context)
    {
        var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SingleSignOn));
        SingleSignOnUsers.LogRemoteFailure(logger, context.Failure?.Message ?? "unknown");
        context.HandleResponse();
        await TypedResults.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Single sign-on failed",
                detail: "The sign-in at the identity provider did not complete; start again from the sign-in page.")
            .ExecuteAsync(context.HttpContext);
    }
}

/// <summary>
/// Turns a person the directory vouches for into one of our users: finds them by email,
/// takes their role and section from the directory's claims (the directory is the source of
/// truth), optionally provisions them, and signs them in with the Identity application cookie.
/// </summary>
public sealed partial class SingleSignOnUsers(
    SingleSignOnSettings settings, UserManager<ReformUser> users, SignInManager<ReformUser> signIn, ReformDbContext db, ILogger<SingleSignOnUsers> logger)
{
    private sealed record Placement(Role Role, string? SectionCode, string? DepartmentCode);

    /// <summary>Signs the person in; returns null on success, else why they were refused.</summary>
    public async Task<string?> SignInAsync(ClaimsPrincipal external, CancellationToken cancellationToken)
    {
        // The directory's stable identity of the person: after the first sign-in the account is
        // linked to (issuer, subject) and found by that, never again by an email alone.
        var subject = external.FindFirst("sub")?.Value;
        var issuer = external.FindFirst("iss")?.Value ?? external.FindFirst("sub")?.Issuer;
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(issuer))
        {
            LogRefused(logger, "(none)", "no 'sub' or 'iss' claim");
            return "The identity provider sent no subject.";
        }

        var email = external.FindFirst(settings.EmailClaim)?.Value?.Trim();
        var user = await users.FindByLoginAsync(issuer, subject);
        var link = user is null;
        if (user is null)
        {
            if (string.IsNullOrEmpty(email) || !Codes.IsEmail(email))
            {
                LogRefused(logger, "(none)", $"no '{settings.EmailClaim}' claim with an email address");
                return $"The identity provider sent no email address in the '{settings.EmailClaim}' claim.";
            }

            // Linking by email needs the directory's word that the address is the person's.
            if (!string.Equals(external.FindFirst("email_verified")?.Value, "true", StringComparison.OrdinalIgnoreCase))
            {
                LogRefused(logger, email, "email_verified is not true");
                return "The identity provider has not verified this email address.";
            }

            user = await users.FindByEmailAsync(email);
            if (user is not null && (await users.GetLoginsAsync(user)).Any(login => login.LoginProvider == issuer))
            {
                // The account belongs to another person of this directory (a different subject).
                LogRefused(logger, email, "the account is linked to a different subject of this provider");
                return "This account is linked to a different person of the identity provider.";
            }
        }

        email = user?.Email ?? email!;
        var placement = await PlacementAsync(external, user, cancellationToken);
        if (user is null)
        {
            if (!settings.CreateUsers || placement is null)
            {
                LogRefused(logger, email, settings.CreateUsers ? "unknown user; the claims give no complete role and section" : "unknown user");
                return "There is no active AomoriReform account for this person.";
            }

            user = new ReformUser
            {
                UserName = email,
                Email = email,
                EmailConfirmed = true,
                DisplayName = external.FindFirst("name")?.Value is { Length: > 0 } name && Codes.IsCleanText(name) ? name[..Math.Min(name.Length, Codes.MaxNameLength)] : email,
                Role = placement.Role,
                SectionCode = placement.SectionCode,
                DepartmentCode = placement.DepartmentCode,
            };
            var created = await users.CreateAsync(user);
            if (!created.Succeeded)
            {
                LogRefused(logger, email, string.Join("; ", created.Errors.Select(e => e.Description)));
                return "The account could not be created.";
            }

            LogCreated(logger, email, user.Role, user.SectionCode ?? user.DepartmentCode ?? "-");
        }
        else
        {
            if (!user.IsActive)
            {
                LogRefused(logger, email, "inactive user");
                return "There is no active AomoriReform account for this person.";
            }

            if (placement is null)
            {
                if (settings.RoleClaim is not null || settings.SectionClaim is not null)
                {
                    LogNotPlaced(logger, email);
                }
            }
            else if (placement != new Placement(user.Role, user.SectionCode, user.DepartmentCode))
            {
                LogMoved(logger, email, user.Role, placement.Role, user.SectionCode ?? user.DepartmentCode ?? "-", placement.SectionCode ?? placement.DepartmentCode ?? "-");
                user.Role = placement.Role;
                user.SectionCode = placement.SectionCode;
                user.DepartmentCode = placement.DepartmentCode;
                // Tokens carry the role and section; a new stamp stops refreshing the old ones. Saves the row too.
                var updated = await users.UpdateSecurityStampAsync(user);
                if (!updated.Succeeded)
                {
                    LogRefused(logger, email, string.Join("; ", updated.Errors.Select(e => e.Description)));
                    return "The account could not be updated from the directory.";
                }
            }
        }

        if (!await signIn.CanSignInAsync(user) || await users.IsLockedOutAsync(user))
        {
            LogRefused(logger, email, "inactive or locked out");
            return "This account cannot sign in now (inactive or locked out).";
        }

        if (link)
        {
            var linked = await users.AddLoginAsync(user, new UserLoginInfo(issuer, subject, SingleSignOn.Scheme));
            if (!linked.Succeeded)
            {
                LogRefused(logger, email, string.Join("; ", linked.Errors.Select(e => e.Description)));
                return "The account could not be linked to the identity provider.";
            }

            LogLinked(logger, email, issuer);
        }

        signIn.AuthenticationScheme = IdentityConstants.ApplicationScheme;
        await signIn.SignInAsync(user, isPersistent: false, authenticationMethod: SingleSignOn.Scheme);
        return null;
    }

    /// <summary>
    /// Where the directory puts the person: the mapped role and the section (or department)
    /// their claim names. Null when a configured claim is missing, ambiguous or names something
    /// we do not know, or when the role needs a section or department the claims do not give.
    /// A claim that is not configured keeps the user's current value.
    /// </summary>
    private async Task<Placement?> PlacementAsync(ClaimsPrincipal external, ReformUser? user, CancellationToken cancellationToken)
    {
        var role = user?.Role;
        if (settings.RoleClaim is { } roleClaim)
        {
            var mapped = external.FindAll(roleClaim)
                .Select(c => settings.Roles.TryGetValue(c.Value, out var r) ? r : (Role?)null)
                .OfType<Role>()
                .Distinct()
                .ToList();
            if (mapped.Count != 1)
            {
                return null;
            }

            role = mapped[0];
        }

        if (role is not { } finalRole)
        {
            return null;
        }

        var (sectionCode, departmentCode) = (user?.SectionCode, user?.DepartmentCode);
        if (settings.SectionClaim is { } sectionClaim)
        {
            var values = external.FindAll(sectionClaim).Select(c => c.Value.Trim()).Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).ToList();
            if (values.Count > 1)
            {
                return null;
            }

            if (values.Count == 0)
            {
                (sectionCode, departmentCode) = (null, null);
            }
            else if (await db.Sections.AsNoTracking().FirstOrDefaultAsync(s => s.Code == values[0], cancellationToken) is { } section)
            {
                (sectionCode, departmentCode) = (section.Code, section.DepartmentCode);
            }
            else if (await db.Departments.AsNoTracking().AnyAsync(d => d.Code == values[0], cancellationToken))
            {
                (sectionCode, departmentCode) = (null, values[0]);
            }
            else
            {
                return null;
            }
        }

        if (Roles.NeedsSection(finalRole) && sectionCode is null)
        {
            return null;
        }

        if (Roles.NeedsDepartment(finalRole))
        {
            // A department head belongs to the department, not to one of its sections.
            return departmentCode is null ? null : new Placement(finalRole, null, departmentCode);
        }

        return new Placement(finalRole, sectionCode, departmentCode);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on refused for {Email}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string email, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Single sign-on linked {Email} to its subject at {Issuer}")]
    private static partial void LogLinked(ILogger logger, string email, string issuer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Single sign-on created {Email} as {Role} in {Place}")]
    private static partial void LogCreated(ILogger logger, string email, Role role, string place);

    [LoggerMessage(Level = LogLevel.Information, Message = "Single sign-on moved {Email} from {OldRole} in {OldPlace} to {NewRole} in {NewPlace}, as the directory says")]
    private static partial void LogMoved(ILogger logger, string email, Role oldRole, Role newRole, string oldPlace, string newPlace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on for {Email}: the directory's claims give no complete, known role and section; the account keeps its own")]
    private static partial void LogNotPlaced(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Single sign-on failed at the identity provider: {Reason}")]
    internal static partial void LogRemoteFailure(ILogger logger, string reason);
}
