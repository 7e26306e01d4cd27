using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Callers;

/// <summary>
/// Builds the <see cref="Caller"/> for a signed-in user from the database (role and section as
/// of now, not as of when the token was issued) with the principals they deputise for today
/// (Japan date). Scoped: a request resolves its caller once,
/// in the authorization policy, and the endpoint reuses it. Between changes to the users and the
/// appointments, the database is not asked again (<see cref="CallerCache"/>, PostgreSQL only).
/// </summary>
public sealed class CallerResolver(ReformDbContext db, TimeProvider time, ReformProfile profile, CallerCache cache)
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

    private sealed record PrincipalRow(string Id, string DisplayName, Organisation.Role Role, string? SectionCode, string? DepartmentCode);

    private sealed record UserRow(string Id, string DisplayName, Organisation.Role Role, string? SectionCode, string? DepartmentCode, string? SecurityStamp, List<PrincipalRow> Principals);

    // One round trip: the user with the principals they deputise for today. An appointment is
    // void once the principal's role, section or department differ from when it was made.
    private static readonly CompiledQuery<Func<ReformDbContext, string, bool, DateOnly, CancellationToken, Task<UserRow?>>> UserWithPrincipals = new(() =>
        EF.CompileAsyncQuery((ReformDbContext db, string userId, bool demo, DateOnly today, CancellationToken _) => db.Users.AsNoTracking()
            .Where(u => u.Id == userId && u.IsActive && (demo || !u.IsDemo))
            .Select(u => new UserRow(
                u.Id, u.DisplayName, u.Role, u.SectionCode, u.DepartmentCode, u.SecurityStamp,
                db.Deputies
                    .Where(d => d.DeputyId == u.Id && d.EndedAt == null && d.From <= today && d.To >= today)
                    .Join(db.Users.Where(p => p.IsActive && (demo || !p.IsDemo)), d => d.PrincipalId, p => p.Id, (d, p) => new { d, p })
                    .Where(x => x.p.Role == x.d.PrincipalRole && x.p.SectionCode == x.d.PrincipalSectionCode && x.p.DepartmentCode == x.d.PrincipalDepartmentCode)
                    .Select(x => new PrincipalRow(x.p.Id, x.p.DisplayName, x.p.Role, x.p.SectionCode, x.p.DepartmentCode))
                    .ToList()))
            .SingleOrDefault()));

    private async Task<(Caller? Caller, string? Stamp)> LoadAsync(string userId, CancellationToken cancellationToken)
    {
        if (resolved.TryGetValue(userId, out var known))
        {
            return known;
        }

        var demo = profile.DemoEnabled;
        var today = Today;
        if (cache.TryGet(userId, today, out var cached))
        {
            return resolved[userId] = cached;
        }

        // Inside a transaction the query may see this unit of work's own uncommitted change: not kept.
        var generation = db.Database.CurrentTransaction is null ? cache.Generation : -1;
        var user = await UserWithPrincipals.For(db)(db, userId, demo, today, cancellationToken);
        if (user is null)
        {
            cache.Store(userId, today, generation, null, null);
            return resolved[userId] = (null, null);
        }

        // The deputy must still be eligible too (they may have moved since).
        var caller = new Caller(user.Id, user.DisplayName, user.Role, user.SectionCode, user.DepartmentCode,
            user.Principals.DistinctBy(p => p.Id)
                .Where(p => p.Id != user.Id && DeputyRules.Ineligible(p.Role, p.SectionCode, p.DepartmentCode, user.Role, user.SectionCode, user.DepartmentCode) is null)
                .Select(p => new Caller(p.Id, p.DisplayName, p.Role, p.SectionCode, p.DepartmentCode, [])).ToList());
        cache.Store(userId, today, generation, caller, user.SecurityStamp);
        return resolved[userId] = (caller, user.SecurityStamp);
    }
}
