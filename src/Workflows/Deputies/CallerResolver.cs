using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Deputies;

public sealed record DeputyRequest(string? DeputyEmail, DateOnly? From, DateOnly? To);

/// <summary>An appointment as the API shows it. <c>Active</c>: not ended, today within the dates, and the principal still holds the role and scope it was made for.</summary>
public sealed record DeputyView(
    Guid Id, string PrincipalEmail, string PrincipalName, string DeputyEmail, string DeputyName, DateOnly From, DateOnly To,
    string PrincipalRole, string? PrincipalSectionCode, string? PrincipalDepartmentCode, DateTime CreatedAt, DateTime? EndedAt, bool Active);

/// <summary>Deputy settings (<c>Deputies:*</c>).</summary>
public sealed class DeputyOptions
{
    /// <summary>The longest appointment in days, both ends included.</summary>
    public int MaxDays { get; set; } = 90;

    /// <summary>How far ahead an appointment may start, in days.</summary>
    public int MaxDaysAhead { get; set; } = 365;
}

public enum DeputyEndResult
{
    Ended,
    NotFound,
    Forbidden,
}

/// <summary>Who may deputise for whom: one rule, used when appointing and whenever the caller is resolved.</summary>
public static class DeputyRules
{
    /// <summary>
    /// Null when someone of <paramref name="deputyRole"/> in that section and department may act for a
    /// principal of <paramref name="principalRole"/> in theirs; otherwise why not. A section chief's
    /// deputy is Staff or a SectionChief of the same section, or a SectionChief of another section of the
    /// same department; a department head's is a SectionChief or DepartmentHead of the same department.
    /// Read-only and HQ roles never deputise.
    /// </summary>
    public static string? Ineligible(Role principalRole, string? principalSection, string? principalDepartment, Role deputyRole, string? deputySection, string? deputyDepartment)
    {
        if (deputyRole is not (Role.Staff or Role.SectionChief or Role.DepartmentHead))
        {
            return $"a {deputyRole} cannot be a deputy (only Staff, SectionChief or DepartmentHead of the principal's section or department)";
        }

        return principalRole switch
        {
            Role.SectionChief when principalSection is not null
                && ((deputyRole is Role.Staff or Role.SectionChief && deputySection == principalSection)
                    || (deputyRole == Role.SectionChief && principalDepartment is not null && deputyDepartment == principalDepartment)) => null,
            Role.SectionChief => "a section chief's deputy is Staff or a SectionChief of the same section, or a SectionChief of the same department",
            Role.DepartmentHead when principalDepartment is not null
                && deputyRole is Role.SectionChief or Role.DepartmentHead && deputyDepartment == principalDepartment => null,
            Role.DepartmentHead => "a department head's deputy is a SectionChief or DepartmentHead of the same department",
            _ => "only section chiefs and department heads appoint deputies",
        };
    }
}

/// <summary>
/// Builds the <see cref="Caller"/> for a signed-in user from the database (role and section as
/// of now, not as of when the token was issued) with the principals they deputise for today
/// (Japan date), and records deputy appointments. Scoped: a request resolves its caller once,
/// in the authorization policy, and the endpoint reuses it.
/// </summary>
public sealed class CallerResolver(ReformDbContext db, TimeProvider time, ReformProfile profile, JournalKeys keys, IOptions<DeputyOptions> options)
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
        // One round trip: the user with the principals they deputise for today. An appointment is
        // void once the principal's role, section or department differ from when it was made.
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId && u.IsActive && (demo || !u.IsDemo))
            .Select(u => new
            {
                u.Id, u.DisplayName, u.Role, u.SectionCode, u.DepartmentCode, u.SecurityStamp,
                Principals = db.Deputies
                    .Where(d => d.DeputyId == u.Id && d.EndedAt == null && d.From <= today && d.To >= today)
                    .Join(db.Users.Where(p => p.IsActive && (demo || !p.IsDemo)), d => d.PrincipalId, p => p.Id, (d, p) => new { d, p })
                    .Where(x => x.p.Role == x.d.PrincipalRole && x.p.SectionCode == x.d.PrincipalSectionCode && x.p.DepartmentCode == x.d.PrincipalDepartmentCode)
                    .Select(x => new { x.p.Id, x.p.DisplayName, x.p.Role, x.p.SectionCode, x.p.DepartmentCode })
                    .ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return resolved[userId] = (null, null);
        }

        // The deputy must still be eligible too (they may have moved since).
        var caller = new Caller(user.Id, user.DisplayName, user.Role, user.SectionCode, user.DepartmentCode,
            user.Principals.DistinctBy(p => p.Id)
                .Where(p => p.Id != user.Id && DeputyRules.Ineligible(p.Role, p.SectionCode, p.DepartmentCode, user.Role, user.SectionCode, user.DepartmentCode) is null)
                .Select(p => new Caller(p.Id, p.DisplayName, p.Role, p.SectionCode, p.DepartmentCode, [])).ToList());
        return resolved[userId] = (caller, user.SecurityStamp);
    }

    /// <summary>A chief or head names a deputy for a date range. Null with a field error when the request is invalid; nothing is stored then.</summary>
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

        var settings = options.Value;
        if (from > Today.AddDays(settings.MaxDaysAhead))
        {
            return (null, "from", $"at most {settings.MaxDaysAhead} days ahead");
        }

        if (to < from)
        {
            return (null, "to", "must not be before from");
        }

        if (to < Today)
        {
            return (null, "to", "is in the past");
        }

        if (to.DayNumber - from.DayNumber + 1 > settings.MaxDays)
        {
            return (null, "to", $"an appointment lasts at most {settings.MaxDays} days (Deputies:MaxDays)");
        }

        var demo = profile.DemoEnabled;
        var normalized = request.DeputyEmail.Trim().ToUpperInvariant();
        var deputy = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized && u.IsActive && (demo || !u.IsDemo), cancellationToken);
        if (deputy is null)
        {
            return (null, "deputyEmail", "no active user has this email");
        }

        if (deputy.Id == principal.UserId)
        {
            return (null, "deputyEmail", "you cannot be your own deputy");
        }

        if (DeputyRules.Ineligible(principal.Role, principal.SectionCode, principal.DepartmentCode, deputy.Role, deputy.SectionCode, deputy.DepartmentCode) is { } why)
        {
            return (null, "deputyEmail", why);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var appointment = new Deputy
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()), PrincipalId = principal.UserId, DeputyId = deputy.Id, From = from, To = to, CreatedAt = now,
            PrincipalRole = principal.Role, PrincipalSectionCode = principal.SectionCode, PrincipalDepartmentCode = principal.DepartmentCode,
        };
        var principalEmail = await db.Users.Where(u => u.Id == principal.UserId).Select(u => u.Email!).SingleAsync(cancellationToken);
        await AuditTrail.SaveWithAsync(db, keys, now, principal.UserId, principal.Name, "deputy.appointed", appointment.Id.ToString(), new
        {
            principal = principalEmail, deputy = deputy.Email, from, to, principalRole = principal.Role.ToString(), principal.SectionCode, principal.DepartmentCode,
        }, () => db.Deputies.Add(appointment), cancellationToken);
        return (View(appointment, principalEmail, principal.Name, deputy.Email!, deputy.DisplayName, principal, Today), null, null);
    }

    /// <summary>The people the principal may appoint (by <see cref="DeputyRules"/>), for the appointment form's choice.</summary>
    public async Task<IReadOnlyList<(string Email, string Name, Role Role, string? SectionCode)>> CandidatesAsync(Caller principal, CancellationToken cancellationToken)
    {
        if (principal.Role is not (Role.SectionChief or Role.DepartmentHead) || principal.DepartmentCode is not { } department)
        {
            return [];
        }

        var demo = profile.DemoEnabled;
        var people = await db.Users.AsNoTracking()
            .Where(u => u.IsActive && (demo || !u.IsDemo) && u.Id != principal.UserId && u.DepartmentCode == department)
            .OrderBy(u => u.SectionCode).ThenBy(u => u.Role).ThenBy(u => u.DisplayName)
            .Select(u => new { u.Email, u.DisplayName, u.Role, u.SectionCode, u.DepartmentCode })
            .ToListAsync(cancellationToken);
        return people
            .Where(u => DeputyRules.Ineligible(principal.Role, principal.SectionCode, principal.DepartmentCode, u.Role, u.SectionCode, u.DepartmentCode) is null)
            .Select(u => (u.Email!, u.DisplayName, u.Role, u.SectionCode)).ToList();
    }

    /// <summary>The appointments where the caller is principal or deputy (an HqAdmin: all), newest first.</summary>
    public async Task<IReadOnlyList<DeputyView>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        var all = caller.Role == Role.HqAdmin;
        var rows = await db.Deputies.AsNoTracking()
            .Where(d => all || d.PrincipalId == caller.UserId || d.DeputyId == caller.UserId)
            .Join(db.Users, d => d.PrincipalId, p => p.Id, (d, p) => new { d, p })
            .Join(db.Users, x => x.d.DeputyId, u => u.Id, (x, u) => new { x.d, x.p, u })
            .OrderByDescending(x => x.d.CreatedAt).ThenByDescending(x => x.d.Id)
            .Take(1000)
            .ToListAsync(cancellationToken);
        var today = Today;
        return rows.Select(x => View(x.d, x.p.Email!, x.p.DisplayName, x.u.Email!, x.u.DisplayName,
            x.p.IsActive ? new Caller(x.p.Id, x.p.DisplayName, x.p.Role, x.p.SectionCode, x.p.DepartmentCode, []) : null, today)).ToList();
    }

    /// <summary>Ends an appointment: the principal or an HqAdmin. Someone who may not see it gets NotFound; the deputy gets Forbidden.</summary>
    public async Task<DeputyEndResult> EndAsync(Caller caller, Guid id, CancellationToken cancellationToken)
    {
        var appointment = await db.Deputies.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (appointment is null || (caller.Role != Role.HqAdmin && appointment.PrincipalId != caller.UserId && appointment.DeputyId != caller.UserId))
        {
            return DeputyEndResult.NotFound;
        }

        if (caller.Role != Role.HqAdmin && appointment.PrincipalId != caller.UserId)
        {
            return DeputyEndResult.Forbidden;
        }

        if (appointment.EndedAt is not null)
        {
            return DeputyEndResult.Ended;
        }

        var now = time.GetUtcNow().UtcDateTime;
        await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, "deputy.ended", appointment.Id.ToString(), new { by = caller.UserId }, () =>
        {
            appointment.EndedAt = now;
            appointment.EndedBy = caller.UserId;
        }, cancellationToken);
        return DeputyEndResult.Ended;
    }

    private static DeputyView View(Deputy d, string principalEmail, string principalName, string deputyEmail, string deputyName, Caller? principalNow, DateOnly today) =>
        new(d.Id, principalEmail, principalName, deputyEmail, deputyName, d.From, d.To, d.PrincipalRole.ToString(), d.PrincipalSectionCode, d.PrincipalDepartmentCode,
            d.CreatedAt, d.EndedAt,
            d.EndedAt is null && d.From <= today && d.To >= today && principalNow is not null
            && principalNow.Role == d.PrincipalRole && principalNow.SectionCode == d.PrincipalSectionCode && principalNow.DepartmentCode == d.PrincipalDepartmentCode);
}
