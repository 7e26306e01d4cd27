namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// How long a background loop that lost the database or the broker waits before it tries again:
/// doubling from half a second, at most 30 s. The outbox dispatcher and the caller change feed share it.
/// </summary>
internal static class Backoff
{
    public static TimeSpan After(int failures) => TimeSpan.FromMilliseconds(Math.Min(30_000, 250 * Math.Pow(2, Math.Clamp(failures, 1, 7))));
}
