using AomoriReform.Host.Identity;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Deputies;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.AspNetCore.Mvc;

namespace AomoriReform.Host.Engine;

/// <summary>Check-ins, reports and their actions, the inbox, history, audit, deputies and route definitions (API.md).</summary>
public static class EngineEndpoints
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public sealed record ActionRequest(int? Version, string? Comment);

    public sealed record SaveRequest(int? Version, ReportContent? Content);

    public sealed record CheckInOpenedResponse(int FiscalYear, DateOnly DueDate, int ReportsOpened, DateTime OpenedAt);

    public sealed record WorkflowResponse(string Name, int Version, string Title, bool Published, DateTime PublishedAt, IReadOnlyList<RouteStep> Steps);

    public static WebApplication MapEngine(this WebApplication app)
    {
        var checkIns = app.MapGroup("/api/checkins").WithTags("Check-ins");
        checkIns.MapPost("/", OpenCheckInAsync).RequireAuthorization(Policies.HqAdmin);
        checkIns.MapGet("/", (CheckInOpener opener, CancellationToken cancellationToken) => opener.ListAsync(cancellationToken)).RequireAuthorization(Policies.SignedIn);

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

        var deputies = app.MapGroup("/api/deputies").WithTags("Deputies");
        deputies.MapPost("/", AppointDeputyAsync).WithSummary("Appoints a deputy (代理) of the caller for a date range")
            .Produces<DeputyView>(StatusCodes.Status201Created).ProducesValidationProblem().RequireAuthorization(Policies.DeputyAppointers);
        deputies.MapGet("/", ListDeputiesAsync).WithSummary("The appointments where the caller is principal or deputy (HqAdmin: all)")
            .Produces<IReadOnlyList<DeputyView>>().RequireAuthorization(Policies.SignedIn);
        deputies.MapDelete("/{id:guid}", EndDeputyAsync).WithSummary("Ends an appointment (its principal or an HqAdmin)")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.SignedIn);

        var workflows = app.MapGroup("/api/workflows").WithTags("Workflow definitions");
        workflows.MapGet("/", ListWorkflowsAsync).RequireAuthorization(Policies.SignedIn);
        workflows.MapGet("/{name}/versions/{version:int}/diagram", DiagramAsync).RequireAuthorization(Policies.SignedIn);
        return app;
    }

    private static async Task<IResult> OpenCheckInAsync(CheckInRequest request, CurrentCaller current, CheckInOpener opener, CancellationToken cancellationToken)
    {
        if (await current.GetAsync(cancellationToken) is not { } caller)
        {
            return Unauthorized();
        }

        var (result, view, field, error) = await opener.OpenAsync(request, caller.UserId, caller.Name, cancellationToken);
        return result switch
        {
            CheckInResult.Opened => TypedResults.Created($"/api/checkins/{view!.FiscalYear}", new CheckInOpenedResponse(view.FiscalYear, view.DueDate, view.ReportsOpened, view.OpenedAt)),
            CheckInResult.AlreadyOpen => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Check-in already open", detail: error),
            _ => Invalid(field!, error!),
        };
    }

    private static async Task<IResult> ListAsync(
        CurrentCaller current, ReportQueries queries, int? fiscalYear, string? status, string? sectionCode, int? page, int? pageSize,
        CancellationToken cancellationToken)
    {
        if (Paging(page, pageSize) is { } bad)
        {
            return bad;
        }

        return await current.GetAsync(cancellationToken) is { } caller
            ? TypedResults.Ok(await queries.ListAsync(caller, fiscalYear, status, sectionCode, page ?? 1, pageSize ?? 50, cancellationToken))
            : Unauthorized();
    }

    private static async Task<IResult> InboxAsync(
        CurrentCaller current, ReportQueries queries, HttpResponse response, int? page, int? pageSize,
        int? fiscalYear, string? status, string? viewpoint, bool? overdue, CancellationToken cancellationToken)
    {
        if (Paging(page, pageSize) is { } bad)
        {
            return bad;
        }

        if (await current.GetAsync(cancellationToken) is not { } caller)
        {
            return Unauthorized();
        }

        var inbox = await queries.InboxAsync(caller, new InboxFilter(fiscalYear, status, viewpoint, overdue), page ?? 1, pageSize ?? 100, cancellationToken);
        response.Headers["X-Total-Count"] = inbox.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Ok(inbox.Items);
    }

    private static async Task<IResult> GetAsync(Guid id, CurrentCaller current, ReportWorkflow workflow, CancellationToken cancellationToken) =>
        await current.GetAsync(cancellationToken) is { } caller
            ? Answer(await workflow.GetAsync(id, caller, cancellationToken))
            : Unauthorized();

    private static async Task<IResult> SaveAsync(
        Guid id, SaveRequest request, CurrentCaller current, ReportWorkflow workflow,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (request.Version is not { } version)
        {
            return Invalid("version", "required: the version of the report you edited");
        }

        if (request.Content is not { } content)
        {
            return Invalid("content", "required");
        }

        if (KeyProblem(idempotencyKey) is { } badKey)
        {
            return badKey;
        }

        return await current.GetAsync(cancellationToken) is { } caller
            ? Answer(await workflow.SaveAsync(id, version, content with { Indicators = content.Indicators ?? [] }, caller, idempotencyKey, cancellationToken))
            : Unauthorized();
    }

    private static async Task<IResult> ActAsync(
        Guid id, string action, ActionRequest request, CurrentCaller current, ReportWorkflow workflow,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, CancellationToken cancellationToken)
    {
        var known = Enum.GetValues<ReportAction>().Where(a => a != ReportAction.Save).FirstOrDefault(a => ReportWorkflow.Name(a) == action, ReportAction.Save);
        if (known == ReportAction.Save)
        {
            return Invalid("action", $"unknown action '{action}'; one of submit, recall, approve, return, accept, concur, object (edit the content with PUT)");
        }

        if (request.Version is not { } version)
        {
            return Invalid("version", "required: the version of the report you acted on");
        }

        if (KeyProblem(idempotencyKey) is { } badKey)
        {
            return badKey;
        }

        return await current.GetAsync(cancellationToken) is { } caller
            ? Answer(await workflow.ActAsync(id, known, version, request.Comment, caller, idempotencyKey, cancellationToken))
            : Unauthorized();
    }

    private static async Task<IResult> HistoryAsync(Guid id, CurrentCaller current, ReportQueries queries, CancellationToken cancellationToken)
    {
        if (await current.GetAsync(cancellationToken) is not { } caller)
        {
            return Unauthorized();
        }

        return await queries.HistoryAsync(id, caller, cancellationToken) is { } history
            ? TypedResults.Ok(history)
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such report.");
    }

    private static async Task<IResult> AppointDeputyAsync(DeputyRequest request, CurrentCaller current, CallerResolver callers, CancellationToken cancellationToken)
    {
        if (await current.GetAsync(cancellationToken) is not { } caller)
        {
            return Unauthorized();
        }

        var (view, field, error) = await callers.AppointAsync(caller, request, cancellationToken);
        return view is not null ? TypedResults.Created($"/api/deputies/{view.Id}", view) : Invalid(field!, error!);
    }

    private static async Task<IResult> ListDeputiesAsync(CurrentCaller current, CallerResolver callers, CancellationToken cancellationToken) =>
        await current.GetAsync(cancellationToken) is { } caller
            ? TypedResults.Ok(await callers.ListAsync(caller, cancellationToken))
            : Unauthorized();

    private static async Task<IResult> EndDeputyAsync(Guid id, CurrentCaller current, CallerResolver callers, CancellationToken cancellationToken)
    {
        if (await current.GetAsync(cancellationToken) is not { } caller)
        {
            return Unauthorized();
        }

        return await callers.EndAsync(caller, id, cancellationToken) switch
        {
            DeputyEndResult.Ended => TypedResults.NoContent(),
            DeputyEndResult.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "Only the principal or an HQ administrator ends an appointment."),
            _ => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: "No such appointment."),
        };
    }

    private static async Task<IResult> ListWorkflowsAsync(RouteCatalog routes, CancellationToken cancellationToken) =>
        TypedResults.Ok((await routes.ListAsync(cancellationToken))
            .Select(r => new WorkflowResponse(r.Name, r.Version, r.Title, true, r.PublishedAt, r.Definition.Steps)).ToList());

    private static async Task<IResult> DiagramAsync(string name, int version, RouteCatalog routes, CancellationToken cancellationToken) =>
        await routes.GetAsync(name, version, cancellationToken) is { } route
            ? TypedResults.Text(RouteMachine.Mermaid(route), "text/plain; charset=utf-8")
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No route {name} version {version}.");

    private static IResult Answer(ReportOutcome outcome) => outcome.Kind switch
    {
        OutcomeKind.Ok => TypedResults.Ok(outcome.Report),
        OutcomeKind.NotFound => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: outcome.Detail),
        OutcomeKind.Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: outcome.Detail),
        OutcomeKind.Conflict => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Conflict", detail: outcome.Detail),
        _ => Invalid(outcome.Field!, outcome.Detail!),
    };

    private static Microsoft.AspNetCore.Http.HttpResults.ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is not valid", detail: $"{field}: {message}");

    /// <summary>Keeps (page - 1) * pageSize far inside an int on every provider.</summary>
    private const int MaxPage = 100_000;

    private static IResult? Paging(int? page, int? pageSize) =>
        page is < 1 or > MaxPage ? Invalid("page", $"must be between 1 and {MaxPage}")
        : pageSize is < 1 or > 500 ? Invalid("pageSize", "must be between 1 and 500")
        : null;

    private static IResult? KeyProblem(string? key) =>
        key is { Length: 0 or > 100 } || (key is not null && !key.All(c => c is > ' ' and <= '~')) ? Invalid(IdempotencyHeader, "1-100 visible ASCII characters without spaces, e.g. a UUID") : null;

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Unauthorized() => TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in", detail: "The account is not active.");

}
