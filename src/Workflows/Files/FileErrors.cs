using AomoriReform.Workflows.Outcomes;

namespace AomoriReform.Workflows.Files;

/// <summary>One problem in an imported file, located by its line (1-based).</summary>
public sealed record FileError(int Line, string Message)
{
    /// <summary>A value quoted in an error message, cut to 40 characters so a huge cell cannot flood the answer.</summary>
    public static string Shorten(string text) => text.Length > 40 ? text[..40] + "…" : text;
}

/// <summary>
/// An import was refused; nothing was changed. Carries every problem found, not only the first,
/// up to <see cref="MaxReported"/>; the rest are counted in one last "and N more" entry, so a
/// hostile file cannot make the answer larger than the file.
/// </summary>
public sealed class FileRejectedException(string fileKind, IReadOnlyList<FileError> errors)
    : Exception($"The {fileKind} has {errors.Count} error(s); nothing was imported.")
{
    public const int MaxReported = 100;

    public string FileKind { get; } = fileKind;
    public int Total { get; } = errors.Count;
    public IReadOnlyList<FileError> Errors { get; } = errors.Count <= MaxReported
        ? errors
        : [.. errors.Take(MaxReported), new FileError(0, $"and {errors.Count - MaxReported} more errors")];

    /// <summary>The refusal as a service answers it: invalid, with the errors by line.</summary>
    public Failure ToFailure() => Outcome.Invalid(ByLine().ToDictionary(), Message, $"The {FileKind} was refused");

    /// <summary>The errors of a refused file again, from its failure (for the pages' table of lines).</summary>
    public static IReadOnlyList<FileError> Lines(Failure failure) =>
        failure.Errors.SelectMany(e => e.Value.Select(message => new FileError(
            e.Key.StartsWith("line ", StringComparison.Ordinal) && int.TryParse(e.Key.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var line) ? line : 0,
            message))).ToList();

    /// <summary>How many errors the refused file has (the list stops at <see cref="MaxReported"/> and counts the rest).</summary>
    public static int Count(Failure failure) =>
        Lines(failure).Sum(e => e.Line == 0 && e.Message.StartsWith("and ", StringComparison.Ordinal) && e.Message.EndsWith(" more errors", StringComparison.Ordinal)
            && int.TryParse(e.Message.AsSpan(4, e.Message.Length - 4 - " more errors".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var more) ? more : 1);

    /// <summary>The errors grouped by line, in the shape of a validation problem's <c>errors</c> member.</summary>
    public IDictionary<string, string[]> ByLine() =>
        Errors.GroupBy(e => e.Line)
            .OrderBy(g => g.Key)
            .ToDictionary(g => g.Key == 0 ? "file" : $"line {g.Key}", g => g.Select(e => e.Message).ToArray());
}
