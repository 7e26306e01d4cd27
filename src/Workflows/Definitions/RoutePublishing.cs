using System.Globalization;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Definitions;

/// <summary>A route file checked (a dry run) or published: the definition, the file's SHA-256, and when and by whom it was published.</summary>
public sealed record RoutePublication(bool DryRun, RouteDefinition Route, string Sha256, string SourceFile, DateTime? PublishedAt, string? PublishedBy)
{
    /// <summary>The route as a Mermaid state diagram, from the same state machine the engine runs.</summary>
    public string Diagram => RouteMachine.Mermaid(Route);
}

/// <summary>
/// Publishes approval routes (決裁ルート) an administrator sends, and retires (廃止) versions. A
/// version is immutable: a change is the next version of its name, never an edit. A retired
/// version starts no new report (check-ins and the approval rules pass over it); the reports
/// running on it continue. Every publication and retirement is an event of the signed audit
/// trail, naming who and the file's SHA-256.
/// </summary>
public sealed class RoutePublishing(ReformDbContext db, JournalKeys keys, TimeProvider time, RouteCatalog catalog)
{
    public const string FileKind = "route file";

    /// <summary>Checks a route file and, unless <paramref name="dryRun"/>, publishes it as the next version of its route.</summary>
    public async Task<Outcome<RoutePublication>> PublishAsync(DefinitionFile file, bool dryRun, Caller caller, CancellationToken cancellationToken)
    {
        if (file.Content.Length > DefinitionFile.MaxBytes)
        {
            return Outcome.TooLarge("The route file is larger than 1 MiB.");
        }

        RouteDefinition route;
        try
        {
            var text = file.Text(FileKind);
            if (text.Trim().Length == 0)
            {
                throw new FileRejectedException(FileKind, [new FileError(1, "the file is empty; a route has name, version, title and steps")]);
            }

            var sections = (await db.Sections.AsNoTracking().Select(s => s.Code).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            route = RouteDefinition.Parse(file.StoredName, text, sections);
        }
        catch (FileRejectedException rejected)
        {
            return rejected.ToFailure();
        }
        catch (RouteDefinitionException invalid)
        {
            return new FileRejectedException(FileKind, [new FileError(invalid.Line, invalid.Problem)]).ToFailure();
        }

        if (await VersionConflictAsync(route, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        if (dryRun)
        {
            return Outcome.Ok(new RoutePublication(true, route, file.Sha256, file.StoredName, null, null));
        }

        var now = time.GetUtcNow().UtcDateTime;
        var record = new WorkflowDefinitionRecord
        {
            Name = route.Name, Version = route.Version, Title = route.Title, Definition = route.ToJson(), SourceFile = file.StoredName,
            PublishedAt = now, PublishedBy = caller.Name, Sha256 = file.Sha256,
        };
        try
        {
            await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, "route.published", Subject(route.Name, route.Version),
                new { route.Name, route.Version, sha256 = file.Sha256, file = Shorten(file.StoredName) }, () => db.WorkflowDefinitions.Add(record), cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another publication of the same version committed between our check and ours.
            db.ChangeTracker.Clear();
            if (await VersionConflictAsync(route, cancellationToken) is { } lost)
            {
                return lost;
            }

            throw;
        }

        return Outcome.Ok(new RoutePublication(false, route, file.Sha256, file.StoredName, now, caller.Name));
    }

    /// <summary>
    /// Retires a version: no new report starts on it. Again: done, nothing changes. Refused (409)
    /// when it is the only active version of a route that measures or the approval rules still send
    /// reports to: a check-in would have no version to start them on.
    /// </summary>
    public async Task<Outcome<PublishedRoute>> RetireAsync(string name, int version, Caller caller, CancellationToken cancellationToken)
    {
        var record = await db.WorkflowDefinitions.SingleOrDefaultAsync(d => d.Name == name && d.Version == version, cancellationToken);
        if (record is null)
        {
            return Outcome.NotFound($"No route {Shorten(name)} version {version}.");
        }

        if (record.RetiredAt is not null)
        {
            return Outcome.Ok(catalog.View(record));
        }

        if (!await db.WorkflowDefinitions.AnyAsync(d => d.Name == name && d.Version != version && d.RetiredAt == null, cancellationToken))
        {
            var measures = await db.Measures.AsNoTracking().Where(m => m.RouteName == name).OrderBy(m => m.Code).Select(m => m.Code).ToListAsync(cancellationToken);
            var rules = (await RuleSetsThatMayApplyAsync(cancellationToken))
                .SelectMany(set => set.Rules.Where(r => r.Route == name).Select(r => $"{set.Name} v{set.Version.ToString(CultureInfo.InvariantCulture)} (class {r.Class})"))
                .ToList();
            if (measures.Count > 0 || rules.Count > 0)
            {
                var users = new List<string>();
                if (measures.Count > 0)
                {
                    users.Add($"{measures.Count} measure(s) take it ({string.Join(", ", measures.Take(5))}{(measures.Count > 5 ? ", …" : string.Empty)})");
                }

                if (rules.Count > 0)
                {
                    users.Add($"the approval rules send reports to it ({string.Join(", ", rules.Take(5))})");
                }

                return Outcome.Conflict(
                    $"{name} version {version} is the only active version of {name}, and {string.Join(" and ", users)}. " +
                    "Publish a new version first, or move those measures and rules to another route.") with { Title = "Route still in use" };
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, "route.retired", Subject(name, version),
            new { name, version, sha256 = record.Sha256 }, () =>
            {
                record.RetiredAt = now;
                record.RetiredBy = caller.Name;
            }, cancellationToken);
        return Outcome.Ok(catalog.View(record));
    }

    /// <summary>How many reports run on each route version (not yet accepted): they continue on it even once it is retired.</summary>
    public async Task<IReadOnlyDictionary<(string Name, int Version), int>> RunningReportsAsync(CancellationToken cancellationToken) =>
        (await db.ProgressReports.AsNoTracking().Where(r => r.Status != RouteDefinition.AcceptedStatus)
            .GroupBy(r => new { r.RouteName, r.RouteVersion }).Select(g => new { g.Key.RouteName, g.Key.RouteVersion, Count = g.Count() })
            .ToListAsync(cancellationToken))
        .ToDictionary(g => (g.RouteName, g.RouteVersion), g => g.Count);

    /// <summary>The rule sets in force today or later: the one in force and every newer one not retired (an older one never applies again).</summary>
    private async Task<IReadOnlyList<ApprovalRuleSet>> RuleSetsThatMayApplyAsync(CancellationToken cancellationToken)
    {
        var today = FiscalYear.JapanDate(time.GetUtcNow());
        var inForce = await ApprovalRuleSets.InForceAsync(db, today, cancellationToken);
        var from = inForce?.Version ?? 0;
        return (await db.ApprovalRuleSets.AsNoTracking().Where(r => r.RetiredAt == null && r.Version >= from).ToListAsync(cancellationToken))
            .Select(r => ApprovalRuleSet.FromJson(r.Definition)).ToList();
    }

    private async Task<Failure?> VersionConflictAsync(RouteDefinition route, CancellationToken cancellationToken)
    {
        var versions = await db.WorkflowDefinitions.AsNoTracking().Where(d => d.Name == route.Name).Select(d => new { d.Version, d.Definition }).ToListAsync(cancellationToken);
        if (versions.FirstOrDefault(v => v.Version == route.Version) is { } same)
        {
            var next = versions.Max(v => v.Version) + 1;
            return RouteDefinition.FromJson(same.Definition).ToJson() == route.ToJson()
                ? Outcome.Conflict($"{route.Name} version {route.Version} is published already, with the same content; nothing changed.") with { Title = "Version published already" }
                : Outcome.Conflict($"{route.Name} version {route.Version} is published already with other content; a published version never changes: publish the change as version {next}.") with { Title = "Version published already" };
        }

        var expected = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;
        return route.Version == expected ? null
            : Outcome.Conflict($"The next version of {route.Name} is {expected}; the file says version {route.Version}.") with { Title = "Not the next version" };
    }

    /// <summary>The audit event's subject, within its 64 characters.</summary>
    internal static string Subject(string name, int version) => $"{(name.Length > 56 ? name[..56] : name)} v{version.ToString(CultureInfo.InvariantCulture)}";

    internal static string Shorten(string text) => text.Length > 100 ? text[..100] : text;
}
