using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Definitions;
using AomoriReform.Workflows.Engine;

namespace AomoriReform.Host.Engine;

/// <summary>
/// The published approval routes and their diagrams (API.md, "Workflow definitions"), publishing a
/// route file and retiring a version; the approval rules (決裁区分 → route) likewise.
/// </summary>
public static class WorkflowEndpoints
{
    /// <summary>A published route version. <c>published</c> is always true (API.md); a retired version is not started any more.</summary>
    public sealed record WorkflowResponse(string Name, int Version, string Title, bool Published, DateTime PublishedAt, IReadOnlyList<RouteStep> Steps)
    {
        public bool Retired { get; init; }
        public DateTime? RetiredAt { get; init; }

        /// <summary>SHA-256 of the file it was published from; null for versions stored before it was kept.</summary>
        public string? Sha256 { get; init; }

        public static WorkflowResponse From(PublishedRoute r) =>
            new(r.Name, r.Version, r.Title, true, r.PublishedAt, r.Definition.Steps) { Retired = r.Retired, RetiredAt = r.RetiredAt, Sha256 = r.Sha256 };
    }

    /// <summary>A route file checked (<c>dryRun</c>: nothing stored) or published: its steps and its Mermaid diagram.</summary>
    public sealed record WorkflowPublicationResponse(
        bool DryRun, string Name, int Version, string Title, bool Published, DateTime? PublishedAt, string Sha256, IReadOnlyList<RouteStep> Steps, string Diagram)
    {
        public static WorkflowPublicationResponse From(RoutePublication p) =>
            new(p.DryRun, p.Route.Name, p.Route.Version, p.Route.Title, !p.DryRun, p.PublishedAt, p.Sha256, p.Route.Steps, p.Diagram);
    }

    public sealed record ApprovalRuleResponse(string Class, string Route, long? MinBudget);

    /// <summary>A published version of the approval rules; <c>inForce</c>: the one a check-in opened today would use.</summary>
    public sealed record ApprovalRulesResponse(
        string Name, int Version, string Title, DateOnly EffectiveFrom, bool InForce, bool Published, DateTime PublishedAt, bool Retired, DateTime? RetiredAt,
        string Sha256, IReadOnlyList<ApprovalRuleResponse> Rules)
    {
        public static ApprovalRulesResponse From(RuleSetView v) => new(
            v.Published.Rules.Name, v.Published.Rules.Version, v.Published.Rules.Title, v.Published.Rules.EffectiveFrom, v.InForce, true, v.Published.PublishedAt,
            v.Published.Retired, v.Published.RetiredAt, v.Published.Sha256,
            v.Published.Rules.Rules.Select(r => new ApprovalRuleResponse(r.Class, r.Route, r.MinBudget)).ToList());
    }

    /// <summary>How many of today's measures a rule would route.</summary>
    public sealed record ApprovalRuleEffectResponse(string Class, string Route, long? MinBudget, int Measures);

    /// <summary>A rules file checked (<c>dryRun</c>: nothing stored) or published, with what it would do to today's plan.</summary>
    public sealed record ApprovalRulesPublicationResponse(
        bool DryRun, string Name, int Version, string Title, DateOnly EffectiveFrom, bool Published, DateTime? PublishedAt, string Sha256,
        IReadOnlyList<ApprovalRuleEffectResponse> Rules, IReadOnlyList<string> UnruledClasses, int MeasuresWithoutClass)
    {
        public static ApprovalRulesPublicationResponse From(RuleSetPublication p) => new(
            p.DryRun, p.Rules.Name, p.Rules.Version, p.Rules.Title, p.Rules.EffectiveFrom, !p.DryRun, p.PublishedAt, p.Sha256,
            p.Effects.Select(e => new ApprovalRuleEffectResponse(e.Rule.Class, e.Rule.Route, e.Rule.MinBudget, e.Measures)).ToList(), p.UnruledClasses, p.MeasuresWithoutClass);
    }

    public static WebApplication MapWorkflows(this WebApplication app)
    {
        var workflows = app.MapGroup("/api/workflows").WithTags("Workflow definitions");
        workflows.MapGet("/", ListAsync).WithSummary("Every published route version, retired ones included")
            .Produces<IReadOnlyList<WorkflowResponse>>().RequireAuthorization(Policies.SignedIn);
        workflows.MapGet("/{name}/versions/{version:int}", GetAsync).WithSummary("One published route version")
            .Produces<WorkflowResponse>().ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Policies.SignedIn);
        workflows.MapGet("/{name}/versions/{version:int}/diagram", DiagramAsync).WithSummary("The route version as a Mermaid state diagram")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Policies.SignedIn);
        workflows.MapPost("/", PublishAsync)
            .WithSummary("Publishes a route file (raw YAML, application/yaml) as the next version of its route; ?dryRun=true checks it and previews its steps and diagram, storing nothing")
            .WithDescription("400: the file's problems by line (errors: {\"line 12\": [...]}); 409: the version is not the next one, or is published already; 413: over 1 MiB; 415: not YAML.")
            .Accepts<string>("application/yaml")
            .Produces<WorkflowPublicationResponse>().Produces<WorkflowPublicationResponse>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Policies.HqAdmin);
        workflows.MapPost("/{name}/versions/{version:int}/retire", RetireAsync)
            .WithSummary("Retires a route version: no new report starts on it, running ones continue (again: 200, nothing changes)")
            .WithDescription("409 when it is the only active version of a route that measures or the approval rules still send reports to.")
            .Produces<WorkflowResponse>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Policies.HqAdmin);

        var rules = app.MapGroup("/api/approval-rules").WithTags("Approval rules");
        rules.MapGet("/", ListRulesAsync).WithSummary("Every published version of the approval rules (決裁区分 → route), with the one in force today")
            .Produces<IReadOnlyList<ApprovalRulesResponse>>().RequireAuthorization(Policies.SignedIn);
        rules.MapGet("/{name}/versions/{version:int}", GetRulesAsync).WithSummary("One published version of the approval rules")
            .Produces<ApprovalRulesResponse>().ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Policies.SignedIn);
        rules.MapPost("/", PublishRulesAsync)
            .WithSummary("Publishes an approval rules file (raw YAML, application/yaml) as their next version; ?dryRun=true checks it and previews what each rule would route, storing nothing")
            .WithDescription("400: the file's problems by line (unknown route, duplicate class, bad date...); 409: not the next version, published already, or another name than the published rules'; 413: over 1 MiB; 415: not YAML.")
            .Accepts<string>("application/yaml")
            .Produces<ApprovalRulesPublicationResponse>().Produces<ApprovalRulesPublicationResponse>(StatusCodes.Status201Created).ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .RequireAuthorization(Policies.HqAdmin);
        rules.MapPost("/{name}/versions/{version:int}/retire", RetireRulesAsync)
            .WithSummary("Retires a version of the approval rules: it is never in force again (again: 200, nothing changes)")
            .Produces<ApprovalRulesResponse>().ProducesProblem(StatusCodes.Status404NotFound).RequireAuthorization(Policies.HqAdmin);
        return app;
    }

    private static async Task<IResult> ListAsync(RouteCatalog routes, CancellationToken cancellationToken) =>
        TypedResults.Ok((await routes.ListAsync(cancellationToken)).Select(WorkflowResponse.From).ToList());

    private static async Task<IResult> GetAsync(string name, int version, RouteCatalog routes, CancellationToken cancellationToken) =>
        await routes.FindAsync(name, version, cancellationToken) is { } route
            ? TypedResults.Ok(WorkflowResponse.From(route))
            : NoRoute(name, version);

    private static async Task<IResult> DiagramAsync(string name, int version, RouteCatalog routes, CancellationToken cancellationToken) =>
        await routes.GetAsync(name, version, cancellationToken) is { } route
            ? TypedResults.Text(RouteMachine.Mermaid(route), "text/plain; charset=utf-8")
            : NoRoute(name, version);

    private static async Task<IResult> PublishAsync(HttpRequest request, bool? dryRun, CurrentCaller current, RoutePublishing publishing, CancellationToken cancellationToken)
    {
        var (file, refusal) = await ReadDefinitionAsync(request, "route", cancellationToken);
        if (file is null)
        {
            return refusal!;
        }

        return (await publishing.PublishAsync(file, dryRun == true, await current.RequireAsync(cancellationToken), cancellationToken))
            .ToResult(p => p.DryRun
                ? TypedResults.Ok(WorkflowPublicationResponse.From(p))
                : TypedResults.Created($"/api/workflows/{Uri.EscapeDataString(p.Route.Name)}/versions/{p.Route.Version}", WorkflowPublicationResponse.From(p)));
    }

    private static async Task<IResult> RetireAsync(string name, int version, CurrentCaller current, RoutePublishing publishing, CancellationToken cancellationToken) =>
        (await publishing.RetireAsync(name, version, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult(r => TypedResults.Ok(WorkflowResponse.From(r)));

    private static async Task<IResult> ListRulesAsync(RuleSetPublishing rules, CancellationToken cancellationToken) =>
        TypedResults.Ok((await rules.ListAsync(cancellationToken)).Select(ApprovalRulesResponse.From).ToList());

    private static async Task<IResult> GetRulesAsync(string name, int version, RuleSetPublishing rules, CancellationToken cancellationToken) =>
        (await rules.GetAsync(name, version, cancellationToken)).ToResult(v => TypedResults.Ok(ApprovalRulesResponse.From(v)));

    private static async Task<IResult> PublishRulesAsync(HttpRequest request, bool? dryRun, CurrentCaller current, RuleSetPublishing rules, CancellationToken cancellationToken)
    {
        var (file, refusal) = await ReadDefinitionAsync(request, "approval rules", cancellationToken);
        if (file is null)
        {
            return refusal!;
        }

        return (await rules.PublishAsync(file, dryRun == true, await current.RequireAsync(cancellationToken), cancellationToken))
            .ToResult(p => p.DryRun
                ? TypedResults.Ok(ApprovalRulesPublicationResponse.From(p))
                : TypedResults.Created($"/api/approval-rules/{Uri.EscapeDataString(p.Rules.Name)}/versions/{p.Rules.Version}", ApprovalRulesPublicationResponse.From(p)));
    }

    private static async Task<IResult> RetireRulesAsync(string name, int version, CurrentCaller current, RuleSetPublishing rules, CancellationToken cancellationToken) =>
        (await rules.RetireAsync(name, version, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult(v => TypedResults.Ok(ApprovalRulesResponse.From(v)));

    /// <summary>The raw YAML body, up to <see cref="DefinitionFile.MaxBytes"/>; else the refusal: not YAML (415) or too large (413).</summary>
    private static async Task<(DefinitionFile? File, IResult? Refusal)> ReadDefinitionAsync(HttpRequest request, string kind, CancellationToken cancellationToken)
    {
        if (!DefinitionFile.IsYamlMediaType(request.ContentType))
        {
            return (null, TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported file type", detail: $"Send the {kind} file as Content-Type application/yaml."));
        }

        return await request.ReadBodyAsync(DefinitionFile.MaxBytes, cancellationToken) is { } body
            ? (new DefinitionFile(body, DefinitionFile.ApiFileName), null)
            : (null, ApiExtensions.TooLarge(DefinitionFile.MaxBytes));
    }

    private static IResult NoRoute(string name, int version) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No route {(name.Length > 100 ? name[..100] : name)} version {version}.");
}
