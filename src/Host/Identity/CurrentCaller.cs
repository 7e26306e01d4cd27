using System.Security.Claims;
using AomoriReform.Workflows.Callers;

namespace AomoriReform.Host.Identity;

/// <summary>
/// The person behind the current request, for endpoints and pages alike: resolved from the
/// database once per request (the authorization policy already did it; this reuses that), with
/// the principals they act for as deputy today. Null when nobody is signed in or the account is
/// no longer active.
/// </summary>
public sealed class CurrentCaller(IHttpContextAccessor http, CallerResolver callers)
{
    /// <summary>The signed-in account's id, or null; the endpoint's policy has already checked the session.</summary>
    public string? UserId => http.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier);

    /// <summary>The signed-in account's email (its user name), or null.</summary>
    public string? Email => http.HttpContext?.User.Identity?.Name;

    /// <summary>
    /// The caller of a page or endpoint whose policy admits only signed-in callers: the policy has
    /// already resolved them, so null here is a wiring mistake, not a request to answer.
    /// </summary>
    public async Task<Caller> RequireAsync(CancellationToken cancellationToken = default) =>
        await GetAsync(cancellationToken) ?? throw new InvalidOperationException("A signed-in policy admits only signed-in callers.");

    public async Task<Caller?> GetAsync(CancellationToken cancellationToken = default)
    {
        var user = http.HttpContext?.User;
        return user?.Identity?.IsAuthenticated == true && user.FindFirstValue(ClaimTypes.NameIdentifier) is { } id
            ? await callers.ResolveAsync(id, cancellationToken)
            : null;
    }
}
