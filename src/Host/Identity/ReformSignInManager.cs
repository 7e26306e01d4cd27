using System.Security.Claims;
using AomoriReform.Workflows.Organisation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace AomoriReform.Host.Identity;

/// <summary>
/// Identity's sign-in with two changes. A password sign-in costs one password hash whatever
/// the account's state (unknown, without a password, locked out or inactive), so the time
/// taken says nothing about which emails have accounts. A bearer sign-in carries the id of a
/// refresh token recorded in <see cref="RefreshTokenStore"/>, so each refresh token works once.
/// </summary>
public sealed class ReformSignInManager(
    UserManager<ReformUser> users,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<ReformUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<ReformUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<ReformUser> confirmation,
    RefreshTokenStore refreshTokens,
    SignInCounters counters)
    : SignInManager<ReformUser>(users, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    private static string? dummyHash;

    public override async Task<SignInResult> PasswordSignInAsync(string userName, string password, bool isPersistent, bool lockoutOnFailure)
    {
        if (await UserManager.FindByNameAsync(userName) is not { } user)
        {
            HashDummy(password);
            return SignInResult.Failed;
        }

        return await PasswordSignInAsync(user, password, isPersistent, lockoutOnFailure);
    }

    public override async Task<SignInResult> CheckPasswordSignInAsync(ReformUser user, string password, bool lockoutOnFailure)
    {
        if (user.PasswordHash is null)
        {
            // Identity answers at once for an account without a password (single sign-on only).
            HashDummy(password);
        }

        var result = await base.CheckPasswordSignInAsync(user, password, lockoutOnFailure);
        if (result.IsLockedOut || result.IsNotAllowed)
        {
            // Identity refuses these before it hashes the password.
            HashDummy(password);
        }

        return result;
    }

    public override async Task SignInWithClaimsAsync(ReformUser user, AuthenticationProperties? authenticationProperties, IEnumerable<Claim> additionalClaims)
    {
        if (AuthenticationScheme == IdentityConstants.BearerScheme)
        {
            additionalClaims = [.. additionalClaims, await refreshTokens.IssueAsync(user.Id, family: null, Context.RequestAborted)];
        }

        await base.SignInWithClaimsAsync(user, authenticationProperties, additionalClaims);
    }

    /// <summary>The same work as checking a real password, thrown away.</summary>
    private void HashDummy(string password)
    {
        var hasher = UserManager.PasswordHasher;
        var dummy = new ReformUser();
        var hash = LazyInitializer.EnsureInitialized(ref dummyHash, () => hasher.HashPassword(dummy, Guid.NewGuid().ToString("N")));
        hasher.VerifyHashedPassword(dummy, hash, password);
        counters.CountDummyHash();
    }
}

/// <summary>Counts the sign-ins answered with a dummy password hash (for tests and diagnostics).</summary>
public sealed class SignInCounters
{
    private long dummyHashes;

    public long DummyHashes => Interlocked.Read(ref dummyHashes);

    internal void CountDummyHash() => Interlocked.Increment(ref dummyHashes);
}
