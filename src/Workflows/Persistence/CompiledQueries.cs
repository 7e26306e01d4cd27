using System.Collections.Concurrent;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// A compiled EF Core query for the hot paths, compiled once per concrete context type: each
/// provider (PostgreSQL, SQLite) has its own model, and one process may use both (the tests do).
/// A compiled query skips the per-call work of a LINQ query (parameter extraction, the query
/// cache's key), which was a visible share of an approval's CPU.
/// </summary>
public sealed class CompiledQuery<TDelegate>(Func<TDelegate> compile)
    where TDelegate : class
{
    private readonly ConcurrentDictionary<Type, TDelegate> byContext = new();

    public TDelegate For(ReformDbContext db) => byContext.GetOrAdd(db.GetType(), _ => compile());
}
