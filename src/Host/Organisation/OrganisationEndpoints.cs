using System.Security.Claims;
using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Host.Organisation;

public static class OrganisationEndpoints
{
    public static WebApplication MapOrganisation(this WebApplication app)
    {
        app.MapPost("/api/org/import", ImportAsync).WithTags("Organisation").RequireAuthorization(Policies.HqAdmin).WithMetadata(new FileUpload())
            .WithSummary("Imports the organisation file (departments, sections, accounts, roles) as CSV; dryRun=true reports without applying")
            .Accepts<string>("text/csv")
            .Produces<OrganisationImportResult>();
        return app;
    }

    private static async Task<IResult> ImportAsync(HttpRequest request, bool? dryRun, ClaimsPrincipal user, OrganisationImport import, CancellationToken cancellationToken)
    {
        if (!OrganisationImport.IsCsvMediaType(request.ContentType))
        {
            return TypedResults.Problem(
                statusCode: StatusCodes.Status415UnsupportedMediaType,
                title: "Unsupported file type",
                detail: "Send the organisation file as Content-Type text/csv.");
        }

        var file = await request.ReadBodyAsync(ApiExtensions.FileBodyLimit, cancellationToken);
        if (file is null)
        {
            return ApiExtensions.TooLarge(ApiExtensions.FileBodyLimit);
        }

        return (await import.ImportAsync(file, user.Identity!.Name!, dryRun == true, cancellationToken)).ToResult();
    }
}
