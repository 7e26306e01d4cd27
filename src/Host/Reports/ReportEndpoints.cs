using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.AspNetCore.Mvc;

namespace AomoriReform.Host.Reports;

/// <summary>Reports and their actions, the inbox, the history and the audit (API.md, "Reports and their workflow").</summary>
public static class ReportEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public sealed record ActionRequest(int? Version, string? Comment);

    public sealed record SaveRequest(int? Version, ReportContent? Content);

    public static WebApplication MapReports(this WebApplication app)
    {
        var reports = app.MapGroup("/api/reports").WithTags("Reports");
        // Which reports a caller sees and may act on is decided per report (Visibility, the route's guards).
        reports.MapGet("/", ListAsync).RequireAuthorization(Policies.SignedIn);
        reports.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.SignedIn);
        reports.MapPut("/{id:guid}", SaveAsync).RequireAuthorization(Policies.SignedIn);
        reports.MapPost("/{id:guid}/{action}", ActAsync).RequireAuthorization(Policies.SignedIn);
        reports.MapGet("/{id:guid}/history", HistoryAsync).RequireAuthorization(Policies.SignedIn);

        app.MapGet("/api/inbox", InboxAsync).WithTags("Reports").RequireAuthorization(Policies.SignedIn);
        app.MapGet("/api/audit/verify", async (ReformDbContext db, JournalKeys keys, CancellationToken cancellationToken) => TypedResults.Ok(await Journal.VerifyAsync(db, keys, cancellationToken)))
            .WithTags("Audit").WithSummary("Verifies every report's signed history, the audit chain and the latest checkpoint")
            .Produces<JournalVerification>().RequireAuthorization(Policies.AuditReaders);
        app.MapPost("/api/audit/checkpoints", async (JournalCheckpointJob checkpoints, CancellationToken cancellationToken) =>
            {
                var view = await checkpoints.WriteAsync(cancellationToken);
                return TypedResults.Created($"/api/audit/checkpoints/{view.Seq}", view);
            })
            .WithTags("Audit").WithSummary("Writes a signed checkpoint of every report's chain head now (the daily job does it too)")
            .Produces<CheckpointView>(StatusCodes.Status201Created).RequireAuthorization(Policies.HqAdmin);
        return app;
    }

    private static async Task<IResult> ListAsync(
        CurrentCaller current, ReportQueries queries, int? fiscalYear, string? status, string? sectionCode, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        var paging = Paging.Of(page, pageSize, defaultSize: 50);
        return paging.IsOk
            ? TypedResults.Ok(await queries.ListAsync(await current.RequireAsync(cancellationToken), new ReportFilter(fiscalYear, status, Section: sectionCode), paging.Value, cancellationToken))
            : paging.Failure!.ToProblem();
    }

    private static async Task<IResult> InboxAsync(
        CurrentCaller current, ReportQueries queries, HttpResponse response, int? page, int? pageSize,
        int? fiscalYear, string? status, string? viewpoint, bool? overdue, CancellationToken cancellationToken)
    {
        var paging = Paging.Of(page, pageSize, defaultSize: 100);
        if (!paging.IsOk)
        {
            return paging.Failure!.ToProblem();
        }

        var inbox = await queries.InboxAsync(await current.RequireAsync(cancellationToken), new InboxFilter(fiscalYear, status, viewpoint, overdue), paging.Value, cancellationToken);
        response.Headers["X-Total-Count"] = inbox.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Ok(inbox.Items);
    }

    private static async Task<IResult> GetAsync(Guid id, CurrentCaller current, ReportWorkflow workflow, CancellationToken cancellationToken) =>
        (await workflow.GetAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> SaveAsync(
        Guid id, SaveRequest request, CurrentCaller current, ReportWorkflow workflow,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (request.Version is not { } version)
        {
            return OutcomeResults.Invalid("version", "required: the version of the report you edited");
        }

        if (request.Content is not { } content)
        {
            return OutcomeResults.Invalid("content", "required");
        }

        if (KeyProblem(idempotencyKey) is { } badKey)
        {
            return badKey;
        }

        return (await workflow.SaveAsync(id, version, content with { Indicators = content.Indicators ?? [] }, await current.RequireAsync(cancellationToken), idempotencyKey, cancellationToken))
            .ToResult();
    }

    private static async Task<IResult> ActAsync(
        Guid id, string action, ActionRequest request, CurrentCaller current, ReportWorkflow workflow,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, CancellationToken cancellationToken)
    {
        var known = Enum.GetValues<ReportAction>().Where(a => a != ReportAction.Save).FirstOrDefault(a => ReportWorkflow.Name(a) == action, ReportAction.Save);
        if (known == ReportAction.Save)
        {
            return OutcomeResults.Invalid("action", $"unknown action '{action}'; one of submit, recall, approve, return, accept, concur, object (edit the content with PUT)");
        }

        if (request.Version is not { } version)
        {
            return OutcomeResults.Invalid("version", "required: the version of the report you acted on");
        }

        if (KeyProblem(idempotencyKey) is { } badKey)
        {
            return badKey;
        }

        return (await workflow.ActAsync(id, known, version, request.Comment, await current.RequireAsync(cancellationToken), idempotencyKey, cancellationToken)).ToResult();
    }

    private static async Task<IResult> HistoryAsync(Guid id, CurrentCaller current, ReportQueries queries, CancellationToken cancellationToken) =>
        (await queries.HistoryAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static IResult? KeyProblem(string? key) =>
        key is { Length: 0 or > 100 } || (key is not null && !key.All(c => c is > ' ' and <= '~'))
            ? OutcomeResults.Invalid(IdempotencyHeader, "1-100 visible ASCII characters without spaces, e.g. a UUID")
            : null;
}
