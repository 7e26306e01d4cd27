using System.Collections.Concurrent;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Engine;

/// <summary>
/// The published route versions. Versions are immutable, so a parsed definition is cached
/// for the life of the process; instances always look up the version they started on.
/// </summary>
public sealed class RouteCatalog(IServiceScopeFactory scopes)
{
    private readonly ConcurrentDictionary<(string Name, int Version), RouteDefinition> cache = new();

    public async Task<RouteDefinition?> GetAsync(string name, int version, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue((name, version), out var cached))
        {
            return cached;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        var record = await db.WorkflowDefinitions.AsNoTracking().SingleOrDefaultAsync(d => d.Name == name && d.Version == version, cancellationToken);
        return record is null ? null : cache.GetOrAdd((name, version), RouteDefinition.FromJson(record.Definition));
    }

    /// <summary>Every published route version, by name then version (the API's list and the admin page's).</summary>
    public async Task<IReadOnlyList<PublishedRoute>> ListAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        var records = await db.WorkflowDefinitions.AsNoTracking().OrderBy(d => d.Name).ThenBy(d => d.Version).ToListAsync(cancellationToken);
        return records.Select(r => new PublishedRoute(
            r.Name, r.Version, r.Title, r.PublishedAt, cache.GetOrAdd((r.Name, r.Version), _ => RouteDefinition.FromJson(r.Definition)))).ToList();
    }

    /// <summary>The newest version of each route: what a new instance starts on.</summary>
    public static async Task<Dictionary<string, int>> LatestVersionsAsync(ReformDbContext db, CancellationToken cancellationToken) =>
        (await db.WorkflowDefinitions.AsNoTracking().Select(d => new { d.Name, d.Version }).ToListAsync(cancellationToken))
            .GroupBy(d => d.Name)
            .ToDictionary(g => g.Key, g => g.Max(d => d.Version), StringComparer.Ordinal);
}

/// <summary>A published route version with when it was published.</summary>
public sealed record PublishedRoute(string Name, int Version, string Title, DateTime PublishedAt, RouteDefinition Definition);

/// <summary>
/// Publishes the route files shipped in Engine/Routes at start-up. A new (name, version) is
/// stored; an existing one must be unchanged, because instances run on it: a change needs a
/// new version. An invalid file stops start-up naming the file and line.
/// </summary>
public sealed partial class RouteDefinitionLoader(TimeProvider time, ILogger<RouteDefinitionLoader> logger) : IStartupTask
{
    public int Order => 5;

    public static IEnumerable<(string FileName, string Yaml)> ShippedFiles()
    {
        var assembly = typeof(RouteDefinitionLoader).Assembly;
        const string prefix = "AomoriReform.Workflows.Engine.Routes.";
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            yield return (resource[prefix.Length..], reader.ReadToEnd());
        }
    }

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<ReformDbContext>();
        await PublishAsync(db, ShippedFiles().Select(f => (RouteDefinition.Parse(f.FileName, f.Yaml), f.FileName)).ToList(), cancellationToken);
    }

    public async Task<int> PublishAsync(ReformDbContext db, IEnumerable<(RouteDefinition Route, string FileName)> definitions, CancellationToken cancellationToken)
    {
        var stored = await db.WorkflowDefinitions.ToDictionaryAsync(d => (d.Name, d.Version), cancellationToken);
        var published = 0;
        foreach (var (route, fileName) in definitions)
        {
            var json = route.ToJson();
            if (stored.TryGetValue((route.Name, route.Version), out var existing))
            {
                // Compared as parsed, so that a stored definition from before a new optional field still matches its file.
                if (RouteDefinition.FromJson(existing.Definition).ToJson() != json)
                {
                    throw new RouteDefinitionException(fileName, 1, $"{route.Name} version {route.Version} is published already with other content; publish the change as version {route.Version + 1}");
                }

                continue;
            }

            db.WorkflowDefinitions.Add(new WorkflowDefinitionRecord
            {
                Name = route.Name, Version = route.Version, Title = route.Title, Definition = json, SourceFile = fileName,
                PublishedAt = time.GetUtcNow().UtcDateTime,
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Count} approval route version(s)")]
    private static partial void LogPublished(ILogger logger, int count);
}
