using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Committee;

namespace AomoriReform.Host.Committee;

/// <summary>The committee's opinions (意見) and HQ's responses (対応方針) (API.md, "Records").</summary>
public static class CommitteeEndpoints
{
    public sealed record ResponseRequest(string? Text);

    public static WebApplication MapCommittee(this WebApplication app)
    {
        var opinions = app.MapGroup("/api/opinions").WithTags("Committee");
        opinions.MapPost("/", WriteAsync).RequireAuthorization(Policies.Committee)
            .WithSummary("意見: a committee member's opinion on a measure, an item (itemCode) or the whole year (neither code)")
            .Produces<OpinionView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status403Forbidden);
        opinions.MapPost("/{id:guid}/response", RespondAsync).RequireAuthorization(Policies.HqStaff)
            .WithSummary("対応方針: HQ's response to an opinion; posting again revises it (earlier revisions are kept)")
            .Produces<OpinionView>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        opinions.MapGet("/", ListAsync).RequireAuthorization(Policies.HqReaders)
            .WithSummary("The opinions of a year (or all) with HQ's responses; unanswered=true lists those without a response")
            .Produces<IReadOnlyList<OpinionView>>();
        app.MapGet("/api/reports/{id:guid}/previous-opinions", PreviousAsync).WithTags("Committee").RequireAuthorization(Policies.SignedIn)
            .WithSummary("The previous fiscal year's opinions on the report's measure and item, with HQ's responses (404 for a report the caller may not see)")
            .Produces<PreviousYearOpinions>().ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> WriteAsync(OpinionRequest request, CurrentCaller current, CommitteeOpinions opinions, CancellationToken cancellationToken) =>
        (await opinions.WriteAsync(await current.RequireAsync(cancellationToken), request, cancellationToken))
            .ToResult(opinion => TypedResults.Created($"/api/opinions?fiscalYear={opinion.FiscalYear}", opinion));

    private static async Task<IResult> RespondAsync(Guid id, ResponseRequest request, CurrentCaller current, CommitteeOpinions opinions, CancellationToken cancellationToken) =>
        (await opinions.RespondAsync(await current.RequireAsync(cancellationToken), id, request.Text, cancellationToken)).ToResult();

    private static async Task<IResult> ListAsync(int? fiscalYear, bool? unanswered, string? measureCode, CurrentCaller current, CommitteeOpinions opinions, CancellationToken cancellationToken) =>
        (await opinions.ListAsync(await current.RequireAsync(cancellationToken), new OpinionFilter(fiscalYear, unanswered == true, measureCode), cancellationToken)).ToResult();

    private static async Task<IResult> PreviousAsync(Guid id, CurrentCaller current, CommitteeOpinions opinions, CancellationToken cancellationToken) =>
        (await opinions.PreviousForReportAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();
}
