using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication;

namespace AomoriReform.Host.Identity;

/// <summary>
/// The bearer token's protector, with what it read from each token kept for a short while: a client sends the
/// same token with every request, and reading it (base64, the data protection's decryption and MAC, the claims
/// deserialised) was about a fortieth of the host's CPU per approval under load. A token is found only by its whole
/// text, so a changed or forged one is read (and refused) as before; a refused token is never kept. What is kept
/// lives at most <see cref="Lifetime"/> and never past the token's own expiry, and each request gets its own copy of
/// the ticket. Nothing about sessions changes: the handler still refuses an expired token, and every request
/// still compares the token's security stamp with the account's (signing out, a deactivation or a role change ends
/// the token at once, cached or not). A revoked data-protection key stops the tokens it protected after at most
/// <see cref="Lifetime"/> instead of at once.
/// </summary>
public sealed class BearerTicketCache(ISecureDataFormat<AuthenticationTicket> inner, TimeProvider time) : ISecureDataFormat<AuthenticationTicket>
{
    /// <summary>How long a token's ticket is kept after it was read.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    /// <summary>The most tokens kept at once (about 3 KB each); past it, those past their time go, or else all.</summary>
    public const int Capacity = 4096;

    private readonly ConcurrentDictionary<string, (AuthenticationTicket Ticket, DateTimeOffset Until)> kept = new(StringComparer.Ordinal);

    /// <summary>How many tokens are kept now.</summary>
    public int Count => kept.Count;

    /// <summary>Whether what this token reads to is kept now (and would be answered without reading the token).</summary>
    public bool Holds(string protectedText) => kept.TryGetValue(protectedText, out var entry) && entry.Until > time.GetUtcNow();

    public string Protect(AuthenticationTicket data) => inner.Protect(data);

    public string Protect(AuthenticationTicket data, string? purpose) => inner.Protect(data, purpose);

    public AuthenticationTicket? Unprotect(string? protectedText) => Unprotect(protectedText, null);

    public AuthenticationTicket? Unprotect(string? protectedText, string? purpose)
    {
        if (protectedText is null || purpose is not null)
        {
            return inner.Unprotect(protectedText, purpose);
        }

        var now = time.GetUtcNow();
        if (kept.TryGetValue(protectedText, out var entry))
        {
            if (entry.Until > now)
            {
                return entry.Ticket.Clone();
            }

            kept.TryRemove(new KeyValuePair<string, (AuthenticationTicket, DateTimeOffset)>(protectedText, entry));
        }

        var ticket = inner.Unprotect(protectedText);
        if (ticket is null)
        {
            return null;
        }

        var until = now + Lifetime;
        if (ticket.Properties.ExpiresUtc is { } expires && expires < until)
        {
            until = expires;
        }

        if (until > now)
        {
            MakeRoom(now);
            kept[protectedText] = (ticket.Clone(), until);
        }

        return ticket;
    }

    private void MakeRoom(DateTimeOffset now)
    {
        if (kept.Count < Capacity)
        {
            return;
        }

        foreach (var pair in kept)
        {
            if (pair.Value.Until <= now)
            {
                kept.TryRemove(pair);
            }
        }

        if (kept.Count >= Capacity)
        {
            kept.Clear();
        }
    }
}
