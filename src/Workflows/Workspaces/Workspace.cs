using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Workspaces;

/// <summary>What a signed-in person's header shows: where they sit, whose work they also do, what waits for them.</summary>
public sealed record WorkspaceSummary(
    string Name, string? SectionName, string? DepartmentName, IReadOnlyList<WorkspacePrincipal> ActingFor, int OpenTasks, int UnreadNotifications);

public sealed record WorkspacePrincipal(string Name, Organisation.Role Role, string? SectionName);

public sealed class Workspace(ReformDbContext db, ReportQueries queries)
{
    /// <summary>Every section's name by its code (a few dozen rows), for lists that show where a report belongs.</summary>
    public async Task<IReadOnlyDictionary<string, string>> SectionNamesAsync(CancellationToken cancellationToken) =>
        await db.Sections.AsNoTracking().ToDictionaryAsync(s => s.Code, s => s.Name, cancellationToken);

    public async Task<WorkspaceSummary> SummaryAsync(Caller caller, CancellationToken cancellationToken)
    {
        var sectionCodes = caller.Identities.Select(i => i.SectionCode).OfType<string>().Distinct().ToList();
        var sections = await db.Sections.AsNoTracking().Where(s => sectionCodes.Contains(s.Code)).ToDictionaryAsync(s => s.Code, s => s.Name, cancellationToken);
        var department = caller.DepartmentCode is null ? null
            : await db.Departments.AsNoTracking().Where(d => d.Code == caller.DepartmentCode).Select(d => d.Name).SingleOrDefaultAsync(cancellationToken);
        var unread = await db.Notifications.AsNoTracking().CountAsync(n => n.UserId == caller.UserId && n.ReadAt == null, cancellationToken);
        var open = await queries.CountInboxAsync(caller, cancellationToken);
        return new WorkspaceSummary(
            caller.Name,
            caller.SectionCode is null ? null : sections.GetValueOrDefault(caller.SectionCode),
            department,
            caller.DeputyFor.Select(p => new WorkspacePrincipal(p.Name, p.Role, p.SectionCode is null ? null : sections.GetValueOrDefault(p.SectionCode))).ToList(),
            open,
            unread);
    }
}
