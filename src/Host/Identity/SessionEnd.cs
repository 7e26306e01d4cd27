using System.Security.Claims;
using AomoriReform.Workflows.Organisation;
using Microsoft.AspNetCore.Identity;

namespace AomoriReform.Host.Identity;

/// <summary>
/// Signing out, for the API and the web UI: the cookie is removed, and a new security stamp makes
/// every earlier cookie, access token and refresh token of the account answer 401 on every host.
/// </summary>
public sealed class SessionEnd(SignInManager<ReformUser> signIn)
{
    public async Task EndAllAsync(ClaimsPrincipal principal)
    {
        if (await signIn.UserManager.GetUserAsync(principal) is { } user)
        {
            await signIn.UserManager.UpdateSecurityStampAsync(user);
        }

        await signIn.SignOutAsync();
    }
}
