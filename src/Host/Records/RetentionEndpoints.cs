using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Records;

namespace AomoriReform.Host.Records;

/// <summary>
/// 保存期間の管理 (retention and disposal): the decided records by where they stand in their
/// retention, the monthly review run on demand, and HqAdmin's decisions on one record: a legal hold
/// and its release, an extension (延長), disposal (廃棄) and transfer to the archives (移管) after the
/// transfer package was prepared.
/// </summary>
public static class RetentionEndpoints
{
    public sealed record DecisionRequest(string? Reason, int? Years);

    public static WebApplication MapRetention(this WebApplication app)
    {
        var group = app.MapGroup("/api").WithTags("Records");
        group.MapGet("/retention", ListAsync).RequireAuthorization(Policies.RecordsReaders)
            .WithSummary("保存期間: decided records in one state (due, held, kept, disposed, transferred; default due), the earliest end of period first")
            .Produces<IReadOnlyList<RetentionItem>>().WithResponseHeader("X-Total-Count", "How many records match in all, over every page.")
            .WithParameterValues("state", RetentionStates.All);
        group.MapPost("/retention/review", ReviewAsync).RequireAuthorization(Policies.HqAdmin)
            .WithSummary("Runs the monthly retention review now: fills missing classes from the plan, sets missing ends of period, lists the records newly due")
            .Produces<RetentionReview>();
        group.MapGet("/reports/{id:guid}/retention", GetAsync).RequireAuthorization(Policies.RecordsReaders)
            .WithSummary("One decided record's retention: class, end of period, state, legal hold, transfer package").Produces<RetentionItem>();
        group.MapPost("/reports/{id:guid}/retention/{decision}", DecideAsync).RequireAuthorization(Policies.HqAdmin)
            .WithSummary("HqAdmin decides: hold (reason), release, extend (years and reason), dispose (廃棄) or transfer (移管) once the period has ended and no hold stands; journaled")
            .Produces<RetentionItem>().ProducesProblem(StatusCodes.Status409Conflict).ProducesValidationProblem()
            .WithParameterValues("decision", RetentionDecisions.Decisions);
        group.MapGet("/reports/{id:guid}/retention/package", PackageAsync).RequireAuthorization(Policies.HqAdmin)
            .WithSummary("移管: the transfer package for the archives, a ZIP of the decision record PDF, the files, journal.json and manifest.json; its SHA-256 is kept for the transfer decision")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip").ProducesProblem(StatusCodes.Status410Gone);
        return app;
    }

    private static async Task<IResult> ListAsync(
        string? state, int? fiscalYear, int? page, int? pageSize, HttpResponse response, CurrentCaller current, RetentionDecisions retention, CancellationToken cancellationToken)
    {
        var paging = Paging.Of(page, pageSize, defaultSize: 100);
        if (!paging.IsOk)
        {
            return paging.Failure!.ToProblem();
        }

        var list = await retention.ListAsync(state, fiscalYear, paging.Value, await current.RequireAsync(cancellationToken), cancellationToken);
        if (list.IsOk)
        {
            response.Headers["X-Total-Count"] = list.Value.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return list.ToResult(items => TypedResults.Ok(items.Items));
    }

    private static async Task<IResult> ReviewAsync(RetentionReviewJob job, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await job.RunAsync(cancellationToken));
        }
        catch (Microsoft.EntityFrameworkCore.DbUpdateException)
        {
            return Outcome.Conflict("Another retention review is running; try again in a moment.").ToProblem();
        }
    }

    private static async Task<IResult> GetAsync(Guid id, CurrentCaller current, RetentionDecisions retention, CancellationToken cancellationToken) =>
        (await retention.GetAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> DecideAsync(
        Guid id, string decision, DecisionRequest request, CurrentCaller current, RetentionDecisions retention, CancellationToken cancellationToken) =>
        (await retention.DecideAsync(id, decision, new RetentionDecision(request.Reason, request.Years), await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> PackageAsync(Guid id, HttpResponse response, CurrentCaller current, TransferPackages packages, CancellationToken cancellationToken)
    {
        var caller = await current.RequireAsync(cancellationToken);
        var plan = await packages.PlanAsync(id, caller, cancellationToken);
        if (plan.Failure is { } failure)
        {
            return failure.ToProblem();
        }

        response.Headers.ContentDisposition = Downloads.ContentDisposition(plan.Value.FileName, plan.Value.AsciiFileName);
        response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Stream(body => packages.WriteAsync(plan.Value, caller, body, cancellationToken), "application/zip");
    }
}
