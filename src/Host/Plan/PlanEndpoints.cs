using System.Security.Claims;
using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Plan;

namespace AomoriReform.Host.Plan;

public static class PlanEndpoints
{
    public static WebApplication MapPlan(this WebApplication app)
    {
        var plan = app.MapGroup("/api/plan").WithTags("Plan");
        plan.MapGet("/", async (PlanView view, CancellationToken cancellationToken) =>
            (await view.GetAsync(cancellationToken)).ToResult())
            .RequireAuthorization(Policies.SignedIn)
            .WithSummary("The plan: viewpoints, areas, items, measures and their indicators with yearly targets")
            .Produces<PlanResponse>();
        plan.MapGet("/export", async Task<IResult> (string? format, PlanView view, CancellationToken cancellationToken) =>
        {
            if (format is not (null or "csv"))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = ["must be csv"] });
            }

            return (await view.ExportCsvAsync(cancellationToken)).ToResult(csv => TypedResults.File(csv, "text/csv; charset=utf-8", "plan.csv"));
        }).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The plan as a CSV file in the import layout (UTF-8 with BOM)")
            .WithParameterValues("format", "csv")
            .Produces<string>(StatusCodes.Status200OK, "text/csv");
        plan.MapPost("/import", ImportAsync).RequireAuthorization(Policies.HqAdmin).WithMetadata(new FileUpload())
            .WithSummary("Imports the plan file (YAML or CSV, raw body); dryRun=true reports the changes without applying them")
            .Accepts<string>("application/yaml", "text/csv")
            .Produces<PlanImportResult>();
        return app;
    }

    private static async Task<IResult> ImportAsync(HttpRequest request, bool? dryRun, ClaimsPrincipal user, PlanImport import, CancellationToken cancellationToken)
    {
        var format = PlanImport.FormatOfMediaType(request.ContentType);
        if (format is null)
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported file type",
                detail: "Send the plan file as Content-Type application/yaml or text/csv.");
        }

        var file = await request.ReadBodyAsync(ApiExtensions.FileBodyLimit, cancellationToken);
        if (file is null)
        {
            return ApiExtensions.TooLarge(ApiExtensions.FileBodyLimit);
        }

        return (await import.ImportAsync(file, format.Value, user.Identity!.Name!, dryRun == true, cancellationToken)).ToResult();
    }
}
