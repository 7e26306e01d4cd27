using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.CheckIns;

namespace AomoriReform.Host.CheckIns;

/// <summary>The yearly progress check (API.md, "Check-ins").</summary>
public static class CheckInEndpoints
{
    public sealed record CheckInOpenedResponse(int FiscalYear, DateOnly DueDate, int ReportsOpened, DateTime OpenedAt);

    public static WebApplication MapCheckIns(this WebApplication app)
    {
        var checkIns = app.MapGroup("/api/checkins").WithTags("Check-ins");
        checkIns.MapPost("/", OpenAsync).RequireAuthorization(Policies.HqAdmin)
            .WithSummary("Opens a year's progress check: one report per measure, each with a Draft task for its section")
            .Produces<CheckInOpenedResponse>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict);
        checkIns.MapGet("/", (CheckInOpener opener, CancellationToken cancellationToken) => opener.ListAsync(cancellationToken)).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The years opened, with their due dates and how many reports each opened")
            .Produces<IReadOnlyList<CheckInView>>();
        return app;
    }

    private static async Task<IResult> OpenAsync(CheckInRequest request, CurrentCaller current, CheckInOpener opener, CancellationToken cancellationToken)
    {
        var caller = await current.RequireAsync(cancellationToken);
        return (await opener.OpenAsync(request, caller.UserId, caller.Name, cancellationToken))
            .ToResult(view => TypedResults.Created($"/api/checkins/{view.FiscalYear}", new CheckInOpenedResponse(view.FiscalYear, view.DueDate, view.ReportsOpened, view.OpenedAt)));
    }
}
