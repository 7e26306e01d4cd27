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

    public const int MaxIdempotencyKeyLength = 100;

    /// <summary>The actions of <c>POST /api/reports/{id}/{action}</c> (editing is PUT).</summary>
    public static IReadOnlyList<string> ActionNames { get; } = [.. Enum.GetValues<ReportAction>().Where(a => a != ReportAction.Save).Select(ReportWorkflow.Name)];

    /// <summary>An action: the version acted on; a comment (required for return and object); for a return, the step to go back to.</summary>
    public sealed record ActionRequest(int? Version, string? Comment = null, string? ToStep = null);

    public sealed record CommentRequest(string? Text);

    public sealed record PostReviewRequest(string? Comment = null);

    public sealed record BulkRequest(IReadOnlyList<BulkItem>? Items, string? Comment = null);

    public sealed record SaveRequest(int? Version, ReportContent? Content);

    public static WebApplication MapReports(this WebApplication app)
    {
        var reports = app.MapGroup("/api/reports").WithTags("Reports");
        // Which reports a caller sees and may act on is decided per report (Visibility, the route's guards).
        reports.MapGet("/", ListAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The reports the caller may see, a page at a time, filtered by year, status and section")
            .Produces<Page<ReportSummary>>();
        reports.MapGet("/{id:guid}", GetAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("A report with its content, its route's steps and the actions the caller may take now")
            .Produces<ReportView>().WithResponseExample(StatusCodes.Status200OK, ApiExamples.Report);
        reports.MapPut("/{id:guid}", SaveAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("Saves the report's content (the drafting section's staff, in Draft or Returned)")
            .Produces<ReportView>().WithRequestExample(ApiExamples.Save).WithResponseExample(StatusCodes.Status200OK, ApiExamples.Report);
        reports.MapPost("/{id:guid}/{action}", ActAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("Takes an action on the report: submit, recall (引戻し), approve, return (差戻し), accept, concur or object (合議)")
            .WithParameterValues("action", ActionNames)
            .Produces<ReportView>().WithRequestExample(ApiExamples.Return).WithResponseExample(StatusCodes.Status200OK, ApiExamples.Report);
        reports.MapGet("/{id:guid}/history", HistoryAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The report's history (決裁履歴), oldest first: who did what, on whose behalf, at which step")
            .Produces<IReadOnlyList<HistoryEntry>>();
        reports.MapPost("/bulk/{action}", BulkAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("一括承認: approves, accepts or concurs on many reports at once, each with its own outcome")
            .WithParameterValues("action", BulkActions.Allowed.Select(ReportWorkflow.Name))
            .Produces<BulkResponse>();
        reports.MapPost("/{id:guid}/comments", CommentAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("意見: a comment at the report's current step that moves nothing")
            .Produces<CommentView>(StatusCodes.Status201Created).WithRequestExample(new CommentRequest("指標2の実績値の出典を備考に記載してください。"));
        reports.MapGet("/{id:guid}/comments", CommentsAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The comments (意見) on the report, oldest first")
            .Produces<IReadOnlyList<CommentView>>();
        reports.MapPost("/{id:guid}/post-review", PostReviewAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("後閲: the principal marks as seen what a deputy decided for them")
            .Produces<ReportView>();
        reports.MapGet("/{id:guid}/submissions", SubmissionsAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("Every submitted version of the report's content")
            .Produces<IReadOnlyList<SubmissionView>>();
        reports.MapGet("/{id:guid}/changes", ChangesAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("What changed between two submissions; by default the latest against the returned one")
            .Produces<ReportChangesView>();
        app.MapGet("/api/post-reviews", PostReviewsAsync).WithTags("Reports").RequireAuthorization(Policies.HqReaders)
            .WithSummary("The 後閲 (reviews of deputies' decisions) open, done or overdue")
            .WithParameterValues("state", "open", "done", "all")
            .Produces<IReadOnlyList<PostReviewItem>>().WithResponseHeader("X-Total-Count", "How many match in all, over every page.");

        app.MapGet("/api/inbox", InboxAsync).WithTags("Reports").RequireAuthorization(Policies.SignedIn)
            .WithSummary("The caller's inbox: the tasks they can act on now, as themselves or as deputy, and their open 後閲")
            .Produces<IReadOnlyList<InboxItem>>().WithResponseExample(StatusCodes.Status200OK, ApiExamples.Inbox)
            .WithResponseHeader("X-Total-Count", "How many tasks match in all, over every page.");
        app.MapGet("/api/audit/verify", async (ReformDbContext db, JournalKeys keys, IReportAttachments attachments, bool? files, CancellationToken cancellationToken) =>
                TypedResults.Ok(await Journal.VerifyAsync(db, keys, attachments, files ?? false, cancellationToken)))
            .WithTags("Audit").WithSummary("Verifies every report's signed history and attached files, the audit chain and the latest checkpoint; ?files=true also recomputes each signed file's SHA-256 from its bytes")
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

        return (await workflow.ActAsync(id, new ReportActionRequest(known, version, request.Comment, request.ToStep), await current.RequireAsync(cancellationToken), idempotencyKey, cancellationToken)).ToResult();
    }

    private static async Task<IResult> BulkAsync(
        string action, BulkRequest request, CurrentCaller current, BulkActions bulk,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey, CancellationToken cancellationToken)
    {
        var known = BulkActions.Allowed.FirstOrDefault(a => ReportWorkflow.Name(a) == action, ReportAction.Save);
        if (known == ReportAction.Save)
        {
            return OutcomeResults.Invalid("action", $"one of {string.Join(", ", BulkActions.Allowed.Select(ReportWorkflow.Name))}");
        }

        if (KeyProblem(idempotencyKey) is { } badKey)
        {
            return badKey;
        }

        return (await bulk.RunAsync(known, request.Items, request.Comment, await current.RequireAsync(cancellationToken), idempotencyKey, cancellationToken)).ToResult();
    }

    private static async Task<IResult> CommentAsync(Guid id, CommentRequest request, CurrentCaller current, ReportNotes notes, CancellationToken cancellationToken) =>
        (await notes.CommentAsync(id, request.Text, await current.RequireAsync(cancellationToken), cancellationToken))
            .ToResult(comment => TypedResults.Created($"/api/reports/{id}/comments", comment));

    private static async Task<IResult> CommentsAsync(Guid id, CurrentCaller current, ReportNotes notes, CancellationToken cancellationToken) =>
        (await notes.CommentsAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> PostReviewAsync(Guid id, PostReviewRequest request, CurrentCaller current, ReportNotes notes, CancellationToken cancellationToken) =>
        (await notes.PostReviewAsync(id, request.Comment, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> SubmissionsAsync(Guid id, CurrentCaller current, ReportChanges changes, CancellationToken cancellationToken) =>
        (await changes.SubmissionsAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> ChangesAsync(Guid id, int? from, int? to, CurrentCaller current, ReportChanges changes, CancellationToken cancellationToken) =>
        (await changes.CompareAsync(id, await current.RequireAsync(cancellationToken), from, to, cancellationToken)).ToResult();

    private static async Task<IResult> PostReviewsAsync(
        string? state, bool? overdue, int? fiscalYear, int? page, int? pageSize, PostReviewQueries queries, HttpResponse response, CancellationToken cancellationToken)
    {
        var paging = Paging.Of(page, pageSize, defaultSize: 100);
        if (!paging.IsOk)
        {
            return paging.Failure!.ToProblem();
        }

        var list = await queries.ListAsync(new PostReviewFilter(state, overdue, fiscalYear), paging.Value, cancellationToken);
        if (list.IsOk)
        {
            response.Headers["X-Total-Count"] = list.Value.Total.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return list.ToResult(page => TypedResults.Ok(page.Items));
    }

    private static async Task<IResult> HistoryAsync(Guid id, CurrentCaller current, ReportQueries queries, CancellationToken cancellationToken) =>
        (await queries.HistoryAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static IResult? KeyProblem(string? key) =>
        key is { Length: 0 or > MaxIdempotencyKeyLength } || (key is not null && !key.All(c => c is > ' ' and <= '~'))
            ? OutcomeResults.Invalid(IdempotencyHeader, $"1-{MaxIdempotencyKeyLength} visible ASCII characters without spaces, e.g. a UUID")
            : null;
}
