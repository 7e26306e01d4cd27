using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Rollups;

namespace AomoriReform.Host.Rollups;

public static class RollupEndpoints
{
    public sealed record RebuildResponse(int? FiscalYear, int ReportsProjected);

    /// <summary>HQ's live counts by viewpoint, area, item, department or section (API.md), and the operator rebuild.</summary>
    public static WebApplication MapRollups(this WebApplication app)
    {
        var rollups = app.MapGroup("/api/rollups").WithTags("Rollups");
        rollups.MapGet("/", async (int? fiscalYear, string? by, RollupQueries queries, CancellationToken cancellationToken) =>
        {
            if (fiscalYear is not { } year)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["fiscalYear"] = ["required"] });
            }

            if (!TryDimension(by, out var dimension))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["by"] = ["one of viewpoint, area, item, department, section"] });
            }

            return Results.Ok(await queries.LiveAsync(year, dimension, cancellationToken));
        }).RequireAuthorization(Policies.HqReaders)
            .WithSummary("A year's live counts of reports by status, by viewpoint, area, item, department or section")
            .WithParameterValues("by", Dimensions)
            .Produces<IReadOnlyList<RollupRow>>();
        rollups.MapGet("/export", async Task<IResult> (int? fiscalYear, string? format, RollupExport export, CancellationToken cancellationToken) =>
        {
            if (fiscalYear is not { } year)
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["fiscalYear"] = ["required"] });
            }

            return format switch
            {
                null or "csv" => TypedResults.File(await export.CsvAsync(year, cancellationToken), "text/csv; charset=utf-8", $"rollups-FY{year}.csv"),
                "xlsx" => TypedResults.File(await export.XlsxAsync(year, cancellationToken), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", $"rollups-FY{year}.xlsx"),
                _ => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["format"] = ["csv or xlsx"] }),
            };
        }).RequireAuthorization(Policies.HqReaders)
            .WithSummary("A year's rollups as a file a person opens in Excel: CSV (UTF-8 with BOM) or XLSX")
            .WithParameterValues("format", "csv", "xlsx")
            .Produces<string>(StatusCodes.Status200OK, "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        rollups.MapGet("/years", async Task<IResult> (string? by, RollupQueries queries, CancellationToken cancellationToken) =>
        {
            if (!TryDimension(by, out var dimension))
            {
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["by"] = ["one of viewpoint, area, item, department, section"] });
            }

            return TypedResults.Ok(await queries.YearsAsync(dimension, cancellationToken));
        }).RequireAuthorization(Policies.HqReaders)
            .WithSummary("Every opened year's rollups side by side, each labelled with its 令和 year")
            .WithParameterValues("by", Dimensions)
            .Produces<IReadOnlyList<YearRollup>>();
        rollups.MapPost("/rebuild", async (int? fiscalYear, RollupQueries queries, CancellationToken cancellationToken) =>
            TypedResults.Ok(new RebuildResponse(fiscalYear, await queries.RebuildAsync(fiscalYear, cancellationToken))))
            .RequireAuthorization(Policies.HqAdmin)
            .WithSummary("Rebuilds the rollup projection from the reports (one year, or every year)")
            .Produces<RebuildResponse>();
        return app;
    }

    private static readonly string[] Dimensions = ["viewpoint", "area", "item", "department", "section"];

    public static bool TryDimension(string? by, out RollupDimension dimension)
    {
        dimension = RollupDimension.Viewpoint;
        return by is null || (Enum.TryParse(by, ignoreCase: true, out dimension) && Enum.IsDefined(dimension) && by.All(char.IsLower));
    }
}
