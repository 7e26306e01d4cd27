using System.Security.Claims;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Host.Identity;

public enum RefreshOutcome
{
    /// <summary>The token was live and is now used; issue its successor.</summary>
    Used,

    /// <summary>The token was used before: somebody holds a copy. End the account's sessions.</summary>
    Reused,

    /// <summary>No such token of this account (forged, issued before rotation, or expired and cleaned up).</summary>
    Unknown,
}

/// <summary>
/// The refresh tokens we issued (table <c>refresh_tokens</c>), so each works once. The protected
/// token carries the row's id in the <see cref="ClaimType"/> claim; marking it used is one
/// conditional UPDATE, so two hosts refreshing the same token at once cannot both succeed.
/// </summary>
public sealed class RefreshTokenStore(ReformDbContext db, TimeProvider time, IOptionsMonitor<BearerTokenOptions> bearer)
{
    public const string ClaimType = "aomori:refresh";

    /// <summary>Records a new refresh token (in <paramref name="family"/>, or starting one) and returns the claim that names it.</summary>
    public async Task<Claim> IssueAsync(string userId, Guid? family, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // Expired rows of this account are of no further use.
        await db.RefreshTokens.Where(t => t.UserId == userId && t.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
        var id = Guid.NewGuid();
        db.RefreshTokens.Add(new RefreshToken
        {
            Id = id,
            UserId = userId,
            FamilyId = family ?? id,
            IssuedAt = now,
            ExpiresAt = now + bearer.Get(IdentityConstants.BearerScheme).RefreshTokenExpiration,
        });
        await db.SaveChangesAsync(cancellationToken);
        return new Claim(ClaimType, id.ToString("N"));
    }

    /// <summary>Marks the token named by <paramref name="principal"/> used, once.</summary>
    public async Task<(RefreshOutcome Outcome, Guid Family)> UseAsync(string userId, ClaimsPrincipal principal, CancellationToken cancellationToken)
    {
        if (!Guid.TryParseExact(principal.FindFirstValue(ClaimType), "N", out var id))
        {
            return (RefreshOutcome.Unknown, Guid.Empty);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var marked = await db.RefreshTokens
            .Where(t => t.Id == id && t.UserId == userId && t.UsedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.UsedAt, now), cancellationToken);
        var token = await db.RefreshTokens.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id && t.UserId == userId, cancellationToken);
        return token is null ? (RefreshOutcome.Unknown, Guid.Empty) : (marked == 1 ? RefreshOutcome.Used : RefreshOutcome.Reused, token.FamilyId);
    }
}
