using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Deputies;

namespace AomoriReform.Host.Deputies;

/// <summary>Deputy appointments (API.md, "Deputies").</summary>
public static class DeputyEndpoints
{
    public static WebApplication MapDeputies(this WebApplication app)
    {
        var deputies = app.MapGroup("/api/deputies").WithTags("Deputies");
        deputies.MapPost("/", AppointAsync).WithSummary("Appoints a deputy (代理) of the caller for a date range")
            .Produces<DeputyView>(StatusCodes.Status201Created).ProducesValidationProblem().RequireAuthorization(Policies.DeputyAppointers);
        deputies.MapGet("/", ListAsync).WithSummary("The appointments where the caller is principal or deputy (HqAdmin: all)")
            .Produces<IReadOnlyList<DeputyView>>().RequireAuthorization(Policies.SignedIn);
        deputies.MapDelete("/{id:guid}", EndAsync).WithSummary("Ends an appointment (its principal or an HqAdmin)")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Policies.SignedIn);
        return app;
    }

    private static async Task<IResult> AppointAsync(DeputyRequest request, CurrentCaller current, DeputyAppointments deputies, CancellationToken cancellationToken) =>
        (await deputies.AppointAsync(await current.RequireAsync(cancellationToken), request, cancellationToken))
            .ToResult(view => TypedResults.Created($"/api/deputies/{view.Id}", view));

    private static async Task<IResult> ListAsync(CurrentCaller current, DeputyAppointments deputies, CancellationToken cancellationToken) =>
        TypedResults.Ok(await deputies.ListAsync(await current.RequireAsync(cancellationToken), cancellationToken));

    private static async Task<IResult> EndAsync(Guid id, CurrentCaller current, DeputyAppointments deputies, CancellationToken cancellationToken) =>
        (await deputies.EndAsync(await current.RequireAsync(cancellationToken), id, cancellationToken)).ToResult(_ => TypedResults.NoContent());
}
