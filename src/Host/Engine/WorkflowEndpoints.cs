using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Engine;

namespace AomoriReform.Host.Engine;

/// <summary>The published approval routes and their diagrams (API.md, "Workflow definitions").</summary>
public static class WorkflowEndpoints
{
    public sealed record WorkflowResponse(string Name, int Version, string Title, bool Published, DateTime PublishedAt, IReadOnlyList<RouteStep> Steps);

    public static WebApplication MapWorkflows(this WebApplication app)
    {
        var workflows = app.MapGroup("/api/workflows").WithTags("Workflow definitions");
        workflows.MapGet("/", ListAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The published approval routes (決裁ルート) with their steps")
            .Produces<IReadOnlyList<WorkflowResponse>>();
        workflows.MapGet("/{name}/versions/{version:int}/diagram", DiagramAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("One route version as a Mermaid state diagram")
            .Produces<string>(StatusCodes.Status200OK, "text/plain");
        return app;
    }

    private static async Task<IResult> ListAsync(RouteCatalog routes, CancellationToken cancellationToken) =>
        TypedResults.Ok((await routes.ListAsync(cancellationToken))
            .Select(r => new WorkflowResponse(r.Name, r.Version, r.Title, true, r.PublishedAt, r.Definition.Steps)).ToList());

    private static async Task<IResult> DiagramAsync(string name, int version, RouteCatalog routes, CancellationToken cancellationToken) =>
        await routes.GetAsync(name, version, cancellationToken) is { } route
            ? TypedResults.Text(RouteMachine.Mermaid(route), "text/plain; charset=utf-8")
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No route {name} version {version}.");
}
