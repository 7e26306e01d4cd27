using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Outcomes;

namespace AomoriReform.Tests;

/// <summary>Test helpers for the services' <see cref="Outcome{T}"/> answers.</summary>
internal static class Outcomes
{
    /// <summary>The value of an outcome the test expects to succeed; a failure fails the test with its detail.</summary>
    public static async Task<T> OkAsync<T>(this Task<Outcome<T>> outcome)
    {
        var answered = await outcome;
        Assert.True(answered.IsOk, answered.Failure?.Detail);
        return answered.Value;
    }

    /// <summary>
    /// The value of an import the test may expect to be refused: a refused file comes back as the
    /// exception it was raised as, with its errors by line, so a test can assert on them.
    /// </summary>
    public static async Task<T> ImportedAsync<T>(this Task<Outcome<T>> outcome)
    {
        var answered = await outcome;
        return answered.Failure is { Kind: OutcomeKind.Invalid } refused
            ? throw new FileRejectedException("file", FileRejectedException.Lines(refused))
            : answered.Value;
    }
}
