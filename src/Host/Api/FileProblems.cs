using AomoriReform.Workflows.Files;

namespace AomoriReform.Host.Api;

public static class FileProblems
{
    /// <summary>400 naming every bad line of an imported file in <c>errors</c> ("line 12" -> messages).</summary>
    public static IResult Rejected(FileRejectedException rejected) =>
        TypedResults.ValidationProblem(rejected.ByLine(), title: $"The {rejected.FileKind} was refused", detail: rejected.Message);
}
