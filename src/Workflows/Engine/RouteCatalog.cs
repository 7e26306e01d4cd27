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
        return records.Select(View).ToList();
    }

    /// <summary>One published version with its publication facts, or null.</summary>
    public async Task<PublishedRoute?> FindAsync(string name, int version, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReformDbContext>();
        var record = await db.WorkflowDefinitions.AsNoTracking().SingleOrDefaultAsync(d => d.Name == name && d.Version == version, cancellationToken);
        return record is null ? null : View(record);
    }

    public PublishedRoute View(WorkflowDefinitionRecord r) => new(
        r.Name, r.Version, r.Title, r.PublishedAt, cache.GetOrAdd((r.Name, r.Version), _ => RouteDefinition.FromJson(r.Definition)))
    {
        PublishedBy = r.PublishedBy, Sha256 = r.Sha256, SourceFile = r.SourceFile, RetiredAt = r.RetiredAt, RetiredBy = r.RetiredBy,
    };

    /// <summary>
    /// The newest active (not retired) version of each route: what a new instance starts on. A
    /// route whose versions are all retired is not listed: nothing new starts on it.
    /// </summary>
    public static async Task<Dictionary<string, int>> LatestVersionsAsync(ReformDbContext db, CancellationToken cancellationToken) =>
        (await db.WorkflowDefinitions.AsNoTracking().Where(d => d.RetiredAt == null).Select(d => new { d.Name, d.Version }).ToListAsync(cancellationToken))
            .GroupBy(d => d.Name)
            .ToDictionary(g => g.Key, g => g.Max(d => d.Version), StringComparer.Ordinal);
}

/// <summary>A published route version with when, by whom and from which file it was published, and whether it is retired.</summary>
public sealed record PublishedRoute(string Name, int Version, string Title, DateTime PublishedAt, RouteDefinition Definition)
{
    public string? PublishedBy { get; init; }
    public string? Sha256 { get; init; }
    public string? SourceFile { get; init; }
    public DateTime? RetiredAt { get; init; }
    public string? RetiredBy { get; init; }
    public bool Retired => RetiredAt is not null;
}

/// <summary>
/// Publishes the route files shipped in Engine/Routes at start-up. A new (name, version) is
/// stored; an existing one must be unchanged, because instances run on it: a change needs a
/// new version. An invalid file stops start-up naming the file and line. A version an
/// administrator published through the API wins over a shipped file of the same version: the
/// file is skipped with a warning (its next release numbers it past theirs).
/// </summary>
public sealed partial class RouteDefinitionLoader(TimeProvider time, ILogger<RouteDefinitionLoader> logger) : IStartupTask
{
    public int Order => 5;

    public static IEnumerable<(string FileName, string Yaml)> ShippedFiles() => Shipped.Files("AomoriReform.Workflows.Engine.Routes.");

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<ReformDbContext>();
        var files = ShippedFiles().ToList();
        await PublishAsync(
            db, files.Select(f => (RouteDefinition.Parse(f.FileName, f.Yaml), f.FileName)).ToList(), cancellationToken,
            files.ToDictionary(f => f.FileName, f => Shipped.Sha256(f.Yaml), StringComparer.Ordinal));
    }

    public async Task<int> PublishAsync(
        ReformDbContext db, IEnumerable<(RouteDefinition Route, string FileName)> definitions, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? hashes = null)
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
                    if (existing.PublishedBy is not null)
                    {
                        LogSkipped(logger, fileName, route.Name, route.Version, existing.PublishedBy);
                        continue;
                    }

                    throw new RouteDefinitionException(fileName, 1, $"{route.Name} version {route.Version} is published already with other content; publish the change as version {route.Version + 1}");
                }

                continue;
            }

            db.WorkflowDefinitions.Add(new WorkflowDefinitionRecord
            {
                Name = route.Name, Version = route.Version, Title = route.Title, Definition = json, SourceFile = fileName,
                PublishedAt = time.GetUtcNow().UtcDateTime, Sha256 = hashes?.GetValueOrDefault(fileName),
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shipped route file {FileName} is not published: {Name} version {Version} was published by {PublishedBy} with other content")]
    private static partial void LogSkipped(ILogger logger, string fileName, string name, int version, string publishedBy);
}

/// <summary>The definition files shipped inside this assembly (routes, approval rules).</summary>
internal static class Shipped
{
    public static IEnumerable<(string FileName, string Yaml)> Files(string prefix)
    {
        var assembly = typeof(Shipped).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            yield return (resource[prefix.Length..], reader.ReadToEnd());
        }
    }

    /// <summary>The file's SHA-256 as the API computes it for an uploaded file: over its UTF-8 bytes, lower-case hex.</summary>
    public static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
}
