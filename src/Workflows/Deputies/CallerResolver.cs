using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Deputies;

public sealed record DeputyRequest(string? DeputyEmail, DateOnly? From, DateOnly? To);

public sealed record DeputyView(Guid Id, string PrincipalEmail, string DeputyEmail, DateOnly From, DateOnly To);

/// <summary>
/// Builds the <see cref="Caller"/> for a signed-in user from the database (role and section as
/// of now, not as of when the token was issued) with the principals they deputise for today
/// (Japan date), and records deputy appointments. Scoped: a request resolves its caller once,
/// in the authorization policy, and the endpoint reuses it.
/// </summary>
public sealed class CallerResolver(ReformDbContext db, TimeProvider time, ReformProfile profile)
{
    private readonly Dictionary<string, (Caller? Caller, string? Stamp)> resolved = new(StringComparer.Ordinal);

    public DateOnly Today => Calendar.FiscalYear.JapanDate(time.GetUtcNow());

    /// <summary>The active user with this id, or null. Demo accounts count as inactive outside demo mode.</summary>
    public async Task<Caller?> ResolveAsync(string userId, CancellationToken cancellationToken) =>
        (await LoadAsync(userId, cancellationToken)).Caller;

    /// <summary>
    /// The caller of a session (token or cookie) that carries <paramref name="securityStamp"/>: null
    /// when the user is gone or inactive, or the stamp has changed since the session began
    /// (sign-out, password change), which ends every earlier session at once.
    /// </summary>
    public async Task<Caller?> ResolveSessionAsync(string userId, string? securityStamp, CancellationToken cancellationToken)
    {
        var (caller, stamp) = await LoadAsync(userId, cancellationToken);
        return caller is not null && securityStamp is not null && string.Equals(stamp, securityStamp, StringComparison.Ordinal) ? caller : null;
    }

    private async Task<(Caller? Caller, string? Stamp)> LoadAsync(string userId, CancellationToken cancellationToken)
    {
        if (resolved.TryGetValue(userId, out var known))
        {
            return known;
        }

        var demo = profile.DemoEnabled;
        var today = Today;
        // One round trip: the user with the principals they deputise for today.
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId && u.IsActive && (demo || !u.IsDemo))
            .Select(u => new
            {
                u.Id, u.DisplayName, u.Role, u.SectionCode, u.DepartmentCode, u.SecurityStamp,
                Principals = db.Deputies
                    .Where(d => d.DeputyId == u.Id && d.From <= today && d.To >= today)
                    .Join(db.Users.Where(p => p.IsActive && (demo || !p.IsDemo)), d => d.PrincipalId, p => p.Id, (_, p) => new { p.Id, p.DisplayName, p.Role, p.SectionCode, p.DepartmentCode })
                    .ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return resolved[userId] = (null, null);
        }

        var caller = new Caller(user.Id, user.DisplayName, user.Role, user.SectionCode, user.DepartmentCode,
            user.Principals.DistinctBy(p => p.Id).Select(p => new Caller(p.Id, p.DisplayName, p.Role, p.SectionCode, p.DepartmentCode, [])).ToList());
        return resolved[userId] = (caller, user.SecurityStamp);
    }

    /// <summary>A chief or head names a deputy for a date range. Null with a field error when the request is invalid.</summary>
    public async Task<(DeputyView? View, string? Field, string? Error)> AppointAsync(Caller principal, DeputyRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.DeputyEmail))
        {
            return (null, "deputyEmail", "required");
        }

        if (request.DeputyEmail.Length > 256 || !Organisation.Codes.IsEmail(request.DeputyEmail.Trim()))
        {
            return (null, "deputyEmail", "not an email address (at most 256 characters)");
        }

        if (request.From is not { } from)
        {
            return (null, "from", "required (a date such as 2026-05-01)");
        }

        if (request.To is not { } to)
        {
            return (null, "to", "required (a date such as 2026-05-31)");
        }

        if (to < from)
        {
            return (null, "to", "must not be before from");
        }

        if (to < Today)
        {
            return (null, "to", "is in the past");
        }

        var normalized = request.DeputyEmail.Trim().ToUpperInvariant();
        var deputy = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized && u.IsActive, cancellationToken);
        if (deputy is null)
        {
            return (null, "deputyEmail", "no active user has this email");
        }

        if (deputy.Id == principal.UserId)
        {
            return (null, "deputyEmail", "you cannot be your own deputy");
        }

        var appointment = new Deputy
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()), PrincipalId = principal.UserId, DeputyId = deputy.Id, From = from, To = to,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        db.Deputies.Add(appointment);
        await db.SaveChangesAsync(cancellationToken);
        var principalEmail = await db.Users.Where(u => u.Id == principal.UserId).Select(u => u.Email!).SingleAsync(cancellationToken);
        return (new DeputyView(appointment.Id, principalEmail, deputy.Email!, from, to), null, null);
    }
}
