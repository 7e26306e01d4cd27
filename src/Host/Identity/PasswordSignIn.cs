using AomoriReform.Workflows.Organisation;
using Microsoft.AspNetCore.Identity;

namespace AomoriReform.Host.Identity;

public enum PasswordSignInKind
{
    SignedIn,
    Invalid,
    Throttled,

    /// <summary>Unknown account, wrong password, locked out or inactive: one answer, so that it tells nothing about the account.</summary>
    Failed,
}

/// <summary>What a password sign-in came to; the API renders it as problem details, the sign-in page as messages.</summary>
public sealed record PasswordSignInOutcome(PasswordSignInKind Kind, IReadOnlyDictionary<string, string[]> Errors, int RetryAfterSeconds = 0)
{
    public static readonly PasswordSignInOutcome SignedIn = new(PasswordSignInKind.SignedIn, new Dictionary<string, string[]>());
}

/// <summary>
/// Signing in with an email and password, for the API and the sign-in page alike: fields bounded
/// before any hashing, the per-account throttle, Identity's lockout, and a bearer token or the
/// sign-in cookie as the caller asks.
/// </summary>
public sealed class PasswordSignIn(SignInManager<ReformUser> signIn, LoginThrottle throttle)
{
    public const int MaxEmailLength = 256;
    public const int MaxPasswordLength = 512;

    public async Task<PasswordSignInOutcome> SignInAsync(string? email, string? password, bool useCookies)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(email))
        {
            errors["email"] = ["required"];
        }

        if (string.IsNullOrEmpty(password))
        {
            errors["password"] = ["required"];
        }

        // Bounded before any hashing: a megabyte password must not cost a megabyte of PBKDF2.
        foreach (var (field, value, limit) in new[] { ("email", email, MaxEmailLength), ("password", password, MaxPasswordLength) })
        {
            if (value is not null && (value.Length > limit || value.Any(char.IsControl)))
            {
                errors[field] = [$"at most {limit} characters, no control characters"];
            }
        }

        if (errors.Count > 0)
        {
            return new PasswordSignInOutcome(PasswordSignInKind.Invalid, errors);
        }

        if (throttle.Acquire(email!) is { } wait)
        {
            return new PasswordSignInOutcome(PasswordSignInKind.Throttled, errors, wait);
        }

        signIn.AuthenticationScheme = useCookies ? IdentityConstants.ApplicationScheme : IdentityConstants.BearerScheme;
        var result = await signIn.PasswordSignInAsync(email!.Trim(), password!, isPersistent: false, lockoutOnFailure: true);
        return result.Succeeded ? PasswordSignInOutcome.SignedIn : new PasswordSignInOutcome(PasswordSignInKind.Failed, errors);
    }
}
