using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
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

/// <summary>
/// Deputy appointments (代理): a chief or head names a deputy for an absence, lists and ends
/// them. Who may be appointed follows <see cref="DeputyRules"/>; every appointment and end is
/// recorded in the signed audit trail.
/// </summary>
public sealed class DeputyAppointments(ReformDbContext db, CallerResolver callers, TimeProvider time, ReformProfile profile, JournalKeys keys, IOptions<DeputyOptions> options)
{
    private DateOnly Today => callers.Today;

    /// <summary>A chief or head names a deputy for a date range. An invalid request names its field; nothing is stored then.</summary>
    public async Task<Outcome<DeputyView>> AppointAsync(Caller principal, DeputyRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.DeputyEmail))
        {
            return Outcome.Invalid("deputyEmail", "required");
        }

        if (request.DeputyEmail.Length > 256 || !Organisation.Codes.IsEmail(request.DeputyEmail.Trim()))
        {
            return Outcome.Invalid("deputyEmail", "not an email address (at most 256 characters)");
        }

        if (request.From is not { } from)
        {
            return Outcome.Invalid("from", "required (a date such as 2026-05-01)");
        }

        if (request.To is not { } to)
        {
            return Outcome.Invalid("to", "required (a date such as 2026-05-31)");
        }

        var settings = options.Value;
        if (from > Today.AddDays(settings.MaxDaysAhead))
        {
            return Outcome.Invalid("from", $"at most {settings.MaxDaysAhead} days ahead");
        }

        if (to < from)
        {
            return Outcome.Invalid("to", "must not be before from");
        }

        if (to < Today)
        {
            return Outcome.Invalid("to", "is in the past");
        }

        if (to.DayNumber - from.DayNumber + 1 > settings.MaxDays)
        {
            return Outcome.Invalid("to", $"an appointment lasts at most {settings.MaxDays} days (Deputies:MaxDays)");
        }

        var demo = profile.DemoEnabled;
        var normalized = request.DeputyEmail.Trim().ToUpperInvariant();
        var deputy = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.NormalizedEmail == normalized && u.IsActive && (demo || !u.IsDemo), cancellationToken);
        if (deputy is null)
        {
            return Outcome.Invalid("deputyEmail", "no active user has this email");
        }

        if (deputy.Id == principal.UserId)
        {
            return Outcome.Invalid("deputyEmail", "you cannot be your own deputy");
        }

        if (DeputyRules.Ineligible(principal.Role, principal.SectionCode, principal.DepartmentCode, deputy.Role, deputy.SectionCode, deputy.DepartmentCode) is { } why)
        {
            return Outcome.Invalid("deputyEmail", why);
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
        return Outcome.Ok(View(appointment, principalEmail, principal.Name, deputy.Email!, deputy.DisplayName, principal, Today));
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

    /// <summary>Ends an appointment (again: done, nothing changes): the principal or an HqAdmin. Someone who may not see it gets NotFound; the deputy gets Forbidden.</summary>
    public async Task<Outcome<Done>> EndAsync(Caller caller, Guid id, CancellationToken cancellationToken)
    {
        var appointment = await db.Deputies.SingleOrDefaultAsync(d => d.Id == id, cancellationToken);
        if (appointment is null || (caller.Role != Role.HqAdmin && appointment.PrincipalId != caller.UserId && appointment.DeputyId != caller.UserId))
        {
            return Outcome.NotFound("No such appointment.");
        }

        if (caller.Role != Role.HqAdmin && appointment.PrincipalId != caller.UserId)
        {
            return Outcome.Forbidden("Only the principal or an HQ administrator ends an appointment.");
        }

        if (appointment.EndedAt is not null)
        {
            return Outcome.Done;
        }

        var now = time.GetUtcNow().UtcDateTime;
        await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, "deputy.ended", appointment.Id.ToString(), new { by = caller.UserId }, () =>
        {
            appointment.EndedAt = now;
            appointment.EndedBy = caller.UserId;
        }, cancellationToken);
        return Outcome.Done;
    }

    private static DeputyView View(Deputy d, string principalEmail, string principalName, string deputyEmail, string deputyName, Caller? principalNow, DateOnly today) =>
        new(d.Id, principalEmail, principalName, deputyEmail, deputyName, d.From, d.To, d.PrincipalRole.ToString(), d.PrincipalSectionCode, d.PrincipalDepartmentCode,
            d.CreatedAt, d.EndedAt,
            d.EndedAt is null && d.From <= today && d.To >= today && principalNow is not null
            && principalNow.Role == d.PrincipalRole && principalNow.SectionCode == d.PrincipalSectionCode && principalNow.DepartmentCode == d.PrincipalDepartmentCode);
}
