using System.Security.Claims;
using AomoriReform.Host.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Identity;

/// <summary>
/// <see cref="BearerTicketCache"/>: a token is read once while kept, each request gets its own copy of the ticket,
/// a refused token is never kept, and nothing is kept past its time or the token's expiry. Real data protection
/// (ephemeral keys), counted.
/// </summary>
public sealed class BearerTicketCacheTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private readonly Counting inner = new(new TicketDataFormat(new EphemeralDataProtectionProvider().CreateProtector("test")));

    private string Token(string user, TimeSpan expiresIn)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user)], "Bearer"));
        return inner.Protect(new AuthenticationTicket(principal, new AuthenticationProperties { ExpiresUtc = time.GetUtcNow() + expiresIn }, "Bearer"));
    }

    [Fact]
    public void A_token_is_read_once_while_kept_and_every_request_gets_its_own_copy()
    {
        var cache = new BearerTicketCache(inner, time);
        var token = Token("u1", TimeSpan.FromHours(1));

        var first = cache.Unprotect(token)!;
        ((ClaimsIdentity)first.Principal.Identity!).AddClaim(new Claim("added-by-a-request", "x"));
        var second = cache.Unprotect(token)!;
        var third = cache.Unprotect(token)!;

        Assert.Equal(1, inner.Reads);
        Assert.Equal("u1", second.Principal.FindFirstValue(ClaimTypes.NameIdentifier));
        Assert.Null(second.Principal.FindFirst("added-by-a-request"));
        Assert.NotSame(second, third);
        Assert.NotSame(second.Principal, third.Principal);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void A_refused_or_changed_token_is_read_every_time_and_never_kept()
    {
        var cache = new BearerTicketCache(inner, time);
        var token = Token("u1", TimeSpan.FromHours(1));
        Assert.NotNull(cache.Unprotect(token));
        var changed = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];

        Assert.Null(cache.Unprotect(changed));
        Assert.Null(cache.Unprotect(changed));
        Assert.Null(cache.Unprotect("not a token"));

        Assert.Equal(4, inner.Reads);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void Nothing_is_kept_past_its_time_nor_past_the_token_s_expiry()
    {
        var cache = new BearerTicketCache(inner, time);
        var longLived = Token("u1", TimeSpan.FromHours(1));
        var shortLived = Token("u2", TimeSpan.FromSeconds(20));
        cache.Unprotect(longLived);
        cache.Unprotect(shortLived);
        Assert.Equal(2, inner.Reads);

        time.Advance(TimeSpan.FromSeconds(30));
        cache.Unprotect(longLived);
        var expired = cache.Unprotect(shortLived);
        Assert.Equal(3, inner.Reads);
        // The data format does not judge expiry (the handler does): the ticket read again says it has expired.
        Assert.True(expired!.Properties.ExpiresUtc <= time.GetUtcNow());

        time.Advance(BearerTicketCache.Lifetime);
        cache.Unprotect(longLived);
        Assert.Equal(4, inner.Reads);
    }

    [Fact]
    public void Past_its_capacity_it_lets_go_instead_of_growing()
    {
        var cache = new BearerTicketCache(inner, time);
        for (var i = 0; i < BearerTicketCache.Capacity + 10; i++)
        {
            cache.Unprotect(Token($"u{i}", TimeSpan.FromHours(1)));
        }

        // Full at the first token past its capacity (none yet past its time), it started again: those ten are kept.
        Assert.Equal(10, cache.Count);
    }

    private sealed class Counting(ISecureDataFormat<AuthenticationTicket> format) : ISecureDataFormat<AuthenticationTicket>
    {
        public int Reads { get; private set; }

        public string Protect(AuthenticationTicket data) => format.Protect(data);

        public string Protect(AuthenticationTicket data, string? purpose) => format.Protect(data, purpose);

        public AuthenticationTicket? Unprotect(string? protectedText) => Unprotect(protectedText, null);

        public AuthenticationTicket? Unprotect(string? protectedText, string? purpose)
        {
            Reads++;
            return format.Unprotect(protectedText, purpose);
        }
    }
}
