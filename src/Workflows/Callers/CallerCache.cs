using System.Collections.Concurrent;
using System.Diagnostics;

namespace AomoriReform.Workflows.Callers;

/// <summary>
/// The callers this host resolved recently, so that a request does not read the user and their
/// deputy appointments again when nothing about them changed. Used only while it is
/// <see cref="IsLive"/>: on PostgreSQL, while <see cref="CallerChangeFeed"/> listens to the
/// database's notification of every change to the users and the appointments (a trigger sends it,
/// whichever process made the change); on SQLite never. Any change empties it: this host's own
/// commits at once (<see cref="CallerChangeInterceptor"/>), other processes' when their
/// notification arrives. An entry is also refreshed after <see cref="MaxAge"/>, whatever happens
/// to the notifications. The key holds the Japan date, as an appointment is for days.
/// </summary>
public sealed class CallerCache
{
    /// <summary>The longest an entry is used, even when no notification says it changed.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);

    /// <summary>More entries than this (the prefecture has a few thousand staff) empties the cache first.</summary>
    public const int Capacity = 20_000;

    private readonly ConcurrentDictionary<(string UserId, DateOnly Today), Entry> entries = new();
    private long generation;
    private volatile bool live;

    private sealed record Entry(Caller? Caller, string? Stamp, long StoredAt);

    /// <summary>Whether the cache is used: only while the change feed listens.</summary>
    public bool IsLive => live;

    /// <summary>Moves on every invalidation (never negative); a resolution that started before a change does not store its result.</summary>
    public long Generation => Interlocked.Read(ref generation);

    public bool TryGet(string userId, DateOnly today, out (Caller? Caller, string? Stamp) found)
    {
        if (live && entries.TryGetValue((userId, today), out var entry) && Stopwatch.GetElapsedTime(entry.StoredAt) < MaxAge)
        {
            found = (entry.Caller, entry.Stamp);
            return true;
        }

        found = default;
        return false;
    }

    /// <summary>
    /// Keeps what a resolution read, unless anything changed since it read <see cref="Generation"/>
    /// as <paramref name="seenGeneration"/> (then what it read may already be stale).
    /// </summary>
    public void Store(string userId, DateOnly today, long seenGeneration, Caller? caller, string? stamp)
    {
        if (!live || Generation != seenGeneration)
        {
            return;
        }

        if (entries.Count >= Capacity)
        {
            entries.Clear();
        }

        var key = (userId, today);
        var entry = new Entry(caller, stamp, Stopwatch.GetTimestamp());
        entries[key] = entry;
        // An invalidation between the check above and the write: take the entry back out.
        if (Generation != seenGeneration)
        {
            entries.TryRemove(new KeyValuePair<(string, DateOnly), Entry>(key, entry));
        }
    }

    /// <summary>Forgets every caller: a user or an appointment changed.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }

    /// <summary>The feed started (or stopped) listening: empty either way, as changes may have gone unheard.</summary>
    internal void SetLive(bool listening)
    {
        live = listening;
        Invalidate();
    }

    /// <summary>How many callers are kept now.</summary>
    public int Count => entries.Count;
}
