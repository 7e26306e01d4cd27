namespace AomoriReform.Workflows.Outcomes;

/// <summary>How an application service answered. The API renders each as one HTTP status; the pages as one kind of message.</summary>
public enum OutcomeKind
{
    /// <summary>Done (200, 201 or 204, as the endpoint says).</summary>
    Ok,

    /// <summary>No such thing, or one the caller may not see (404).</summary>
    NotFound,

    /// <summary>The caller's role or section does not allow it (403).</summary>
    Forbidden,

    /// <summary>Not allowed in the current state, a stale version, a duplicate (409).</summary>
    Conflict,

    /// <summary>Bad input, named by field (400).</summary>
    Invalid,

    /// <summary>A body or file over its limit (413).</summary>
    TooLarge,

    /// <summary>A file whose content is not of an allowed type (415).</summary>
    UnsupportedType,

    /// <summary>It existed and was removed for good, e.g. a record disposed of at the end of its retention (410).</summary>
    Gone,
}

/// <summary>
/// Why a request was refused. <see cref="Errors"/> names the fields (or a file's lines) of an
/// <see cref="OutcomeKind.Invalid"/> answer; the messages are the API's (English). Pages choose
/// their own words by field, in the person's language.
/// </summary>
public sealed record Failure(OutcomeKind Kind, string Detail, IReadOnlyDictionary<string, string[]> Errors, string? Title = null)
{
    /// <summary>The first invalid field, or null.</summary>
    public string? Field => Errors.Keys.FirstOrDefault();

    public bool Names(string field) => Errors.ContainsKey(field);
}

/// <summary>Nothing to return: the command was carried out.</summary>
public readonly record struct Done;

/// <summary>
/// The one answer type of every application service: a value, or a <see cref="Failure"/>. A
/// request that fails has changed nothing. Build one with <see cref="Outcome.Ok{T}"/> or by
/// returning a failure from <see cref="Outcome"/>'s factories (it converts implicitly).
/// </summary>
public sealed class Outcome<T>
{
    private readonly T? value;

    internal Outcome(T? value, Failure? failure)
    {
        this.value = value;
        Failure = failure;
    }

    public Failure? Failure { get; }

    public bool IsOk => Failure is null;

    public OutcomeKind Kind => Failure?.Kind ?? OutcomeKind.Ok;

    /// <summary>The value of a successful outcome; reading it from a failure is a programming error.</summary>
    public T Value => IsOk ? value! : throw new InvalidOperationException($"The outcome is {Kind}: {Failure!.Detail}");

    /// <summary>The value, or the default when the outcome is a failure.</summary>
    public T? ValueOrDefault => value;

    public static implicit operator Outcome<T>(Failure failure) => new(default, failure);

    public Outcome<TOther> Map<TOther>(Func<T, TOther> map) => IsOk ? new(map(value!), null) : new(default, Failure);
}

public static class Outcome
{
    private static readonly IReadOnlyDictionary<string, string[]> NoErrors = new Dictionary<string, string[]>();

    public static Outcome<T> Ok<T>(T value) => new(value, null);

    public static readonly Outcome<Done> Done = new(default, null);

    public static Failure NotFound(string detail) => new(OutcomeKind.NotFound, detail, NoErrors);

    public static Failure Forbidden(string detail) => new(OutcomeKind.Forbidden, detail, NoErrors);

    public static Failure Conflict(string detail) => new(OutcomeKind.Conflict, detail, NoErrors);

    public static Failure Invalid(string field, string message) =>
        new(OutcomeKind.Invalid, $"{field}: {message}", new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Several fields at once (or a file's lines, keyed "line 12").</summary>
    public static Failure Invalid(IReadOnlyDictionary<string, string[]> errors, string detail, string? title = null) => new(OutcomeKind.Invalid, detail, errors, title);

    public static Failure TooLarge(string detail) => new(OutcomeKind.TooLarge, detail, NoErrors);

    public static Failure UnsupportedType(string detail) => new(OutcomeKind.UnsupportedType, detail, NoErrors);

    public static Failure Gone(string detail) => new(OutcomeKind.Gone, detail, NoErrors);
}
