using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Engine;

/// <summary>A published rule set with its publication facts and whether it is retired.</summary>
public sealed record PublishedRuleSet(ApprovalRuleSet Rules, DateTime PublishedAt, string? PublishedBy, string Sha256, string SourceFile, DateTime? RetiredAt, string? RetiredBy)
{
    public bool Retired => RetiredAt is not null;

    public static PublishedRuleSet From(ApprovalRuleSetRecord r) =>
        new(ApprovalRuleSet.FromJson(r.Definition), r.PublishedAt, r.PublishedBy, r.Sha256, r.SourceFile, r.RetiredAt, r.RetiredBy);
}

/// <summary>The published approval rules: which set is in force on a day.</summary>
public static class ApprovalRuleSets
{
    /// <summary>
    /// The rules in force on a Japan date: of the sets not retired whose effectiveFrom has come,
    /// the newest version. Null when none is (every measure keeps its own route).
    /// </summary>
    public static async Task<ApprovalRuleSet?> InForceAsync(ReformDbContext db, DateOnly day, CancellationToken cancellationToken)
    {
        var record = await db.ApprovalRuleSets.AsNoTracking()
            .Where(r => r.RetiredAt == null && r.EffectiveFrom <= day)
            .OrderByDescending(r => r.Version)
            .FirstOrDefaultAsync(cancellationToken);
        return record is null ? null : ApprovalRuleSet.FromJson(record.Definition);
    }

    /// <summary>Every published version, oldest first.</summary>
    public static async Task<IReadOnlyList<PublishedRuleSet>> ListAsync(ReformDbContext db, CancellationToken cancellationToken) =>
        (await db.ApprovalRuleSets.AsNoTracking().OrderBy(r => r.Name).ThenBy(r => r.Version).ToListAsync(cancellationToken)).Select(PublishedRuleSet.From).ToList();

    /// <summary>The names of the routes with an active version: what a rule may name.</summary>
    public static async Task<HashSet<string>> ActiveRoutesAsync(ReformDbContext db, CancellationToken cancellationToken) =>
        (await db.WorkflowDefinitions.AsNoTracking().Where(d => d.RetiredAt == null).Select(d => d.Name).Distinct().ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
}

/// <summary>
/// Publishes the approval rules shipped in Engine/Rules at start-up, after the routes they name,
/// on the same terms as <see cref="RouteDefinitionLoader"/>: a stored version must be unchanged
/// (unless an administrator published it through the API: then the file is skipped with a
/// warning), and an invalid file stops start-up naming the file and line.
/// </summary>
public sealed partial class ApprovalRulesLoader(TimeProvider time, ILogger<ApprovalRulesLoader> logger) : IStartupTask
{
    public int Order => 6;

    public static IEnumerable<(string FileName, string Yaml)> ShippedFiles() => Shipped.Files("AomoriReform.Workflows.Engine.Rules.");

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        await PublishShippedAsync(services.GetRequiredService<ReformDbContext>(), cancellationToken);

    public async Task<int> PublishShippedAsync(ReformDbContext db, CancellationToken cancellationToken)
    {
        var routes = await ApprovalRuleSets.ActiveRoutesAsync(db, cancellationToken);
        var stored = await db.ApprovalRuleSets.ToDictionaryAsync(r => (r.Name, r.Version), cancellationToken);
        var published = 0;
        foreach (var (fileName, yaml) in ShippedFiles())
        {
            // A version stored already is compared, not checked against today's routes: a route it
            // names may have been retired since, and that must never stop the host from starting.
            var shipped = ApprovalRuleSet.Parse(fileName, yaml);
            if (stored.TryGetValue((shipped.Name, shipped.Version), out var existing))
            {
                if (ApprovalRuleSet.FromJson(existing.Definition).ToJson() != shipped.ToJson())
                {
                    if (existing.PublishedBy is not null)
                    {
                        LogSkipped(logger, fileName, shipped.Name, shipped.Version, existing.PublishedBy);
                        continue;
                    }

                    throw new ApprovalRulesException(fileName, [new Files.FileError(1, $"{shipped.Name} version {shipped.Version} is published already with other content; publish the change as version {shipped.Version + 1}")]);
                }

                continue;
            }

            // A new version may name only routes with an active version.
            var rules = ApprovalRuleSet.Parse(fileName, yaml, routes);
            db.ApprovalRuleSets.Add(new ApprovalRuleSetRecord
            {
                Name = rules.Name, Version = rules.Version, Title = rules.Title, EffectiveFrom = rules.EffectiveFrom, Definition = rules.ToJson(),
                SourceFile = fileName, Sha256 = Shipped.Sha256(yaml), PublishedAt = time.GetUtcNow().UtcDateTime,
            });
            published++;
        }

        await db.SaveChangesAsync(cancellationToken);
        if (published > 0)
        {
            LogPublished(logger, published);
        }

        return published;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Count} approval rules version(s)")]
    private static partial void LogPublished(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shipped approval rules file {FileName} is not published: {Name} version {Version} was published by {PublishedBy} with other content")]
    private static partial void LogSkipped(ILogger logger, string fileName, string name, int version, string publishedBy);
}
