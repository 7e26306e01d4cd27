using AomoriReform.Workflows.Outcomes;

namespace AomoriReform.Host.Api;

/// <summary>
/// The API's one rendering of an application service's <see cref="Outcome{T}"/>: the value as the
/// endpoint chooses (200 by default), every failure as RFC 9457 problem details with its status.
/// </summary>
public static class OutcomeResults
{
    public static IResult ToResult<T>(this Outcome<T> outcome, Func<T, IResult>? ok = null) =>
        outcome.Failure is { } failure ? failure.ToProblem() : ok is null ? TypedResults.Ok(outcome.Value) : ok(outcome.Value);

    public static IResult ToProblem(this Failure failure) => failure.Kind switch
    {
        OutcomeKind.Invalid => TypedResults.ValidationProblem(
            failure.Errors.ToDictionary(e => e.Key, e => e.Value), title: failure.Title ?? "The request is not valid", detail: failure.Detail),
        OutcomeKind.NotFound => Problem(StatusCodes.Status404NotFound, "Not found", failure),
        OutcomeKind.Forbidden => Problem(StatusCodes.Status403Forbidden, "Forbidden", failure),
        OutcomeKind.Conflict => Problem(StatusCodes.Status409Conflict, "Conflict", failure),
        OutcomeKind.TooLarge => Problem(StatusCodes.Status413PayloadTooLarge, "Request body too large", failure),
        OutcomeKind.UnsupportedType => Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported file type", failure),
        OutcomeKind.Gone => Problem(StatusCodes.Status410Gone, "Gone", failure),
        _ => throw new InvalidOperationException($"{failure.Kind} is not a failure."),
    };

    /// <summary>A 400 naming one field, for what an endpoint checks before calling a service (a missing version, a bad header).</summary>
    public static IResult Invalid(string field, string message) => Outcome.Invalid(field, message).ToProblem();

    private static IResult Problem(int status, string title, Failure failure) =>
        TypedResults.Problem(statusCode: status, title: failure.Title ?? title, detail: failure.Detail);
}
