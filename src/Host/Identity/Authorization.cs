using System.Security.Claims;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Organisation;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AomoriReform.Host.Identity;

/// <summary>
/// Names of the authorization policies. Every endpoint names exactly one of these (or allows
/// anonymous callers); a test walks the endpoint data source and fails on an endpoint that does
/// not. Which reports a caller may see or act on is decided per report by
/// <see cref="AomoriReform.Workflows.Reports.Visibility"/> and the route's guards.
/// </summary>
public static class Policies
{
    /// <summary>Any active account with a live session.</summary>
    public const string SignedIn = nameof(SignedIn);

    /// <summary>Headquarters administrators: imports, check-ins, rebuilds, the job dashboard.</summary>
    public const string HqAdmin = nameof(HqAdmin);

    /// <summary>Auditors and HQ administrators: journal verification.</summary>
    public const string AuditReaders = nameof(AuditReaders);

    /// <summary>Headquarters, the committee and auditors: rollups and their exports.</summary>
    public const string HqReaders = nameof(HqReaders);

    /// <summary>Section chiefs and department heads: naming a deputy.</summary>
    public const string DeputyAppointers = nameof(DeputyAppointers);

    /// <summary>Members of the reform promotion committee (推進委員会): writing opinions.</summary>
    public const string Committee = nameof(Committee);

    /// <summary>Headquarters reviewers and administrators: responding to the committee's opinions.</summary>
    public const string HqStaff = nameof(HqStaff);

    /// <summary>The committee and headquarters: the committee's page.</summary>
    public const string CommitteeReaders = nameof(CommitteeReaders);

    /// <summary>Headquarters and auditors: the records' retention (保存期間) and its decisions' outcome.</summary>
    public const string RecordsReaders = nameof(RecordsReaders);

    /// <summary>The roles each policy admits; an empty set admits every role.</summary>
    public static IReadOnlyDictionary<string, Role[]> Roles { get; } = new Dictionary<string, Role[]>
    {
        [SignedIn] = [],
        [HqAdmin] = [Role.HqAdmin],
        [AuditReaders] = [Role.Auditor, Role.HqAdmin],
        [HqReaders] = [Role.HqReviewer, Role.HqAdmin, Role.Committee, Role.Auditor],
        [DeputyAppointers] = [Role.SectionChief, Role.DepartmentHead],
        [Committee] = [Role.Committee],
        [HqStaff] = [Role.HqReviewer, Role.HqAdmin],
        [CommitteeReaders] = [Role.Committee, Role.HqReviewer, Role.HqAdmin],
        [RecordsReaders] = [Role.HqReviewer, Role.HqAdmin, Role.Auditor],
    };

    public static AuthorizationBuilder AddReformPolicies(this AuthorizationBuilder builder)
    {
        foreach (var (name, roles) in Roles)
        {
            builder.AddPolicy(name, policy => policy.RequireAuthenticatedUser().AddRequirements(new CallerRequirement(roles)));
        }

        // An endpoint that names no policy still needs a live session.
        return builder.SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new CallerRequirement([])).Build());
    }
}

/// <summary>A live session of an active account whose role, read from the database now, is one of <see cref="Roles"/>.</summary>
public sealed class CallerRequirement(IReadOnlyCollection<Role> roles) : IAuthorizationRequirement
{
    public IReadOnlyCollection<Role> Roles { get; } = roles;
}

/// <summary>
/// Resolves the caller from the database once per request: the account must be active and the
/// session's security stamp current (sign-out and password changes end sessions at once), and
/// the role is the one the organisation has now, not the one the token was issued with.
/// </summary>
public sealed class CallerAuthorizationHandler(CallerResolver callers, IOptions<IdentityOptions> identity, IHttpContextAccessor http)
    : AuthorizationHandler<CallerRequirement>
{
    public const string SessionEnded = "session-ended";

    protected override async Task HandleRequirementAsync(AuthorizationHandlerContext context, CallerRequirement requirement)
    {
        if (context.User.Identity?.IsAuthenticated != true || context.User.FindFirstValue(ClaimTypes.NameIdentifier) is not { } userId)
        {
            return;
        }

        var stamp = context.User.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        var cancellationToken = http.HttpContext?.RequestAborted ?? CancellationToken.None;
        if (await callers.ResolveSessionAsync(userId, stamp, cancellationToken) is not { } caller)
        {
            context.Fail(new AuthorizationFailureReason(this, SessionEnded));
            return;
        }

        if (requirement.Roles.Count == 0 || requirement.Roles.Contains(caller.Role))
        {
            context.Succeed(requirement);
        }
    }
}

/// <summary>An ended session is answered 401 (sign in again), not 403.</summary>
public sealed class SessionAwareResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler standard = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Forbidden
            && authorizeResult.AuthorizationFailure?.FailureReasons.Any(reason => reason.Message == CallerAuthorizationHandler.SessionEnded) == true)
        {
            authorizeResult = PolicyAuthorizationResult.Challenge();
        }

        return standard.HandleAsync(next, context, policy, authorizeResult);
    }
}
