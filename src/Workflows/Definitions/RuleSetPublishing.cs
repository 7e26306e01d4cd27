using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Definitions;

/// <summary>How many of today's measures a rule would route, had a check-in opened under the rule set.</summary>
public sealed record RuleEffect(ApprovalRule Rule, int Measures);

/// <summary>
/// A rules file checked (a dry run) or published, with what it would do to the plan as it stands:
/// the measures each rule routes, the classes measures have that no rule names (they keep their
/// own route), and how many measures have no class.
/// </summary>
public sealed record RuleSetPublication(
    bool DryRun, ApprovalRuleSet Rules, string Sha256, string SourceFile, DateTime? PublishedAt, string? PublishedBy,
    IReadOnlyList<RuleEffect> Effects, IReadOnlyList<string> UnruledClasses, int MeasuresWithoutClass);

/// <summary>A published rule set as the list shows it: whether it is the one in force today.</summary>
public sealed record RuleSetView(PublishedRuleSet Published, bool InForce);

/// <summary>
/// Publishes the approval rules (決裁区分 → route) an administrator sends, lists and retires them.
/// The published versions form one series (one name); a file is the next version of it. Every
/// publication and retirement is an event of the signed audit trail, naming who and the file's SHA-256.
/// </summary>
public sealed class RuleSetPublishing(ReformDbContext db, JournalKeys keys, TimeProvider time)
{
    public async Task<IReadOnlyList<RuleSetView>> ListAsync(CancellationToken cancellationToken)
    {
        var inForce = await ApprovalRuleSets.InForceAsync(db, Today, cancellationToken);
        return (await ApprovalRuleSets.ListAsync(db, cancellationToken))
            .Select(p => new RuleSetView(p, inForce is not null && p.Rules.Name == inForce.Name && p.Rules.Version == inForce.Version)).ToList();
    }

    public async Task<Outcome<RuleSetView>> GetAsync(string name, int version, CancellationToken cancellationToken) =>
        (await ListAsync(cancellationToken)).FirstOrDefault(v => v.Published.Rules.Name == name && v.Published.Rules.Version == version) is { } found
            ? Outcome.Ok(found)
            : Outcome.NotFound($"No approval rules {RoutePublishing.Shorten(name)} version {version}.");

    /// <summary>Checks a rules file and, unless <paramref name="dryRun"/>, publishes it as the next version of the rules.</summary>
    public async Task<Outcome<RuleSetPublication>> PublishAsync(DefinitionFile file, bool dryRun, Caller caller, CancellationToken cancellationToken)
    {
        if (file.Content.Length > DefinitionFile.MaxBytes)
        {
            return Outcome.TooLarge("The approval rules file is larger than 1 MiB.");
        }

        ApprovalRuleSet rules;
        try
        {
            var text = file.Text(ApprovalRuleSet.FileKind);
            if (text.Trim().Length == 0)
            {
                throw new FileRejectedException(ApprovalRuleSet.FileKind, [new FileError(1, "the file is empty; approval rules have name, version, effectiveFrom and rules")]);
            }

            rules = ApprovalRuleSet.Parse(file.StoredName, text, await ApprovalRuleSets.ActiveRoutesAsync(db, cancellationToken));
        }
        catch (FileRejectedException rejected)
        {
            return rejected.ToFailure();
        }
        catch (ApprovalRulesException invalid)
        {
            return new FileRejectedException(ApprovalRuleSet.FileKind, invalid.Errors).ToFailure();
        }

        if (await VersionConflictAsync(rules, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        var measures = await db.Measures.AsNoTracking().Select(m => new { m.ApprovalClass, m.Budget }).ToListAsync(cancellationToken);
        var chosen = measures.Select(m => (m.ApprovalClass, Rule: rules.Choose(m.ApprovalClass, m.Budget))).ToList();
        var effects = rules.Rules.Select(rule => new RuleEffect(rule, chosen.Count(c => c.Rule == rule))).ToList();
        var unruled = chosen.Where(c => c.ApprovalClass is not null && c.Rule is null).Select(c => c.ApprovalClass!).Distinct().Order(StringComparer.Ordinal).ToList();
        var withoutClass = measures.Count(m => m.ApprovalClass is null);
        if (dryRun)
        {
            return Outcome.Ok(new RuleSetPublication(true, rules, file.Sha256, file.StoredName, null, null, effects, unruled, withoutClass));
        }

        var now = time.GetUtcNow().UtcDateTime;
        var record = new ApprovalRuleSetRecord
        {
            Name = rules.Name, Version = rules.Version, Title = rules.Title, EffectiveFrom = rules.EffectiveFrom, Definition = rules.ToJson(),
            SourceFile = file.StoredName, Sha256 = file.Sha256, PublishedAt = now, PublishedBy = caller.Name,
        };
        try
        {
            await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, "rules.published", RoutePublishing.Subject(rules.Name, rules.Version),
                new { rules.Name, rules.Version, rules.EffectiveFrom, sha256 = file.Sha256, file = RoutePublishing.Shorten(file.StoredName) },
                () => db.ApprovalRuleSets.Add(record), cancellationToken);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await VersionConflictAsync(rules, cancellationToken) is { } lost)
            {
                return lost;
            }

            throw;
        }

        return Outcome.Ok(new RuleSetPublication(false, rules, file.Sha256, file.StoredName, now, caller.Name, effects, unruled, withoutClass));
    }

    /// <summary>Retires a version: it is never in force again (the newest earlier version in force applies instead). Again: done, nothing changes.</summary>
    public async Task<Outcome<RuleSetView>> RetireAsync(string name, int version, Caller caller, CancellationToken cancellationToken)
    {
        var record = await db.ApprovalRuleSets.SingleOrDefaultAsync(r => r.Name == name && r.Version == version, cancellationToken);
        if (record is null)
        {
            return Outcome.NotFound($"No approval rules {RoutePublishing.Shorten(name)} version {version}.");
        }

        if (record.RetiredAt is null)
        {
            var now = time.GetUtcNow().UtcDateTime;
            await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, "rules.retired", RoutePublishing.Subject(name, version),
                new { name, version, sha256 = record.Sha256 }, () =>
                {
                    record.RetiredAt = now;
                    record.RetiredBy = caller.Name;
                }, cancellationToken);
        }

        return await GetAsync(name, version, cancellationToken);
    }

    private DateOnly Today => FiscalYear.JapanDate(time.GetUtcNow());

    private async Task<Failure?> VersionConflictAsync(ApprovalRuleSet rules, CancellationToken cancellationToken)
    {
        var stored = await db.ApprovalRuleSets.AsNoTracking().Select(r => new { r.Name, r.Version, r.Definition }).ToListAsync(cancellationToken);
        if (stored.Count > 0 && stored.All(r => r.Name != rules.Name))
        {
            // One series: two would leave it open which is in force on a day.
            return Outcome.Conflict($"The published approval rules are named {stored[0].Name}; a file named {rules.Name} would start a second set. Name it {stored[0].Name}.") with { Title = "Another set of rules" };
        }

        var versions = stored.Where(r => r.Name == rules.Name).ToList();
        var next = versions.Count == 0 ? 1 : versions.Max(v => v.Version) + 1;
        if (versions.FirstOrDefault(v => v.Version == rules.Version) is { } same)
        {
            return ApprovalRuleSet.FromJson(same.Definition).ToJson() == rules.ToJson()
                ? Outcome.Conflict($"{rules.Name} version {rules.Version} is published already, with the same content; nothing changed.") with { Title = "Version published already" }
                : Outcome.Conflict($"{rules.Name} version {rules.Version} is published already with other content; a published version never changes: publish the change as version {next}.") with { Title = "Version published already" };
        }

        return rules.Version == next ? null
            : Outcome.Conflict($"The next version of {rules.Name} is {next}; the file says version {rules.Version}.") with { Title = "Not the next version" };
    }
}
