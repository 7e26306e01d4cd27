using System.Globalization;
using System.Text;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Plan;

public sealed record PlanResponse(Guid PlanId, string Title, int FromFiscalYear, int ToFiscalYear, IReadOnlyList<ViewpointResponse> Viewpoints);

public sealed record ViewpointResponse(string Code, string Title, IReadOnlyList<AreaResponse> Areas);

public sealed record AreaResponse(string Code, string Title, IReadOnlyList<ItemResponse> Items);

public sealed record ItemResponse(string Code, string Title, IReadOnlyList<MeasureResponse> Measures);

public sealed record MeasureResponse(
    Guid Id, string Code, string Title, string OwnerSectionCode, string OwnerDepartmentCode, string Route, IReadOnlyList<IndicatorResponse> Indicators)
{
    /// <summary>決裁区分 (who decides its reports), for the approval rules; null when the plan gives none.</summary>
    public string? ApprovalClass { get; init; }

    /// <summary>事業費 in yen; null when the plan gives none.</summary>
    public long? Budget { get; init; }
}

/// <summary>The plan's period and how many measures it has: one report per measure when a check-in opens.</summary>
public sealed record PlanPeriod(int FromFiscalYear, int ToFiscalYear, int Measures)
{
    public IEnumerable<int> Years => Enumerable.Range(FromFiscalYear, ToFiscalYear - FromFiscalYear + 1);
}

public sealed record IndicatorResponse(string Code, string Title, string Unit, IReadOnlyDictionary<string, decimal> Targets);

/// <summary>Reads the plan as the API and the exports show it.</summary>
public sealed class PlanView(ReformDbContext db)
{
    /// <summary>The outline's viewpoints (観点), in order: for filters and rollup titles.</summary>
    public async Task<IReadOnlyList<(string Code, string Title)>> ViewpointsAsync(CancellationToken cancellationToken) =>
        (await db.Viewpoints.AsNoTracking().Select(v => new { v.Code, v.Title }).ToListAsync(cancellationToken))
            .OrderBy(v => v.Code, StringComparer.Ordinal).Select(v => (v.Code, v.Title)).ToList();

    /// <summary>The imported plan's fiscal years and measure count; null before a plan is imported.</summary>
    public async Task<PlanPeriod?> PeriodAsync(CancellationToken cancellationToken)
    {
        var plan = await db.Plans.AsNoTracking().Select(p => new { p.FromFiscalYear, p.ToFiscalYear }).SingleOrDefaultAsync(cancellationToken);
        return plan is null ? null : new PlanPeriod(plan.FromFiscalYear, plan.ToFiscalYear, await db.Measures.CountAsync(cancellationToken));
    }

    public async Task<Outcome<PlanResponse>> GetAsync(CancellationToken cancellationToken)
    {
        var plan = await db.Plans.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        if (plan is null)
        {
            return NoPlan;
        }

        var viewpoints = await db.Viewpoints.AsNoTracking().OrderBy(v => v.Order).ToListAsync(cancellationToken);
        var areas = await db.Areas.AsNoTracking().OrderBy(a => a.Order).ToListAsync(cancellationToken);
        var items = await db.PlanItems.AsNoTracking().OrderBy(i => i.Order).ToListAsync(cancellationToken);
        var measures = (await db.Measures.AsNoTracking()
                .Select(m => new { Measure = m, DepartmentCode = m.OwnerSection!.DepartmentCode })
                .ToListAsync(cancellationToken))
            .OrderBy(m => m.Measure.Code, StringComparer.Ordinal)
            .ToLookup(m => m.Measure.ItemCode);
        var itemsByArea = items.ToLookup(i => i.AreaCode);
        var areasByViewpoint = areas.ToLookup(a => a.ViewpointCode);

        return Outcome.Ok(new PlanResponse(plan.Id, plan.Title, plan.FromFiscalYear, plan.ToFiscalYear, viewpoints
            .Select(v => new ViewpointResponse(v.Code, v.Title, areasByViewpoint[v.Code]
                .Select(a => new AreaResponse(a.Code, a.Title, itemsByArea[a.Code]
                    .Select(i => new ItemResponse(i.Code, i.Title, measures[i.Code]
                        .Select(m => new MeasureResponse(
                            m.Measure.Id, m.Measure.Code, m.Measure.Title, m.Measure.OwnerSectionCode, m.DepartmentCode, m.Measure.RouteName,
                            m.Measure.Indicators.Select(x => new IndicatorResponse(
                                x.Code, x.Title, x.Unit, x.Targets.ToDictionary(t => t.Key.ToString(CultureInfo.InvariantCulture), t => t.Value))).ToList())
                        {
                            ApprovalClass = m.Measure.ApprovalClass, Budget = m.Measure.Budget,
                        })
                        .ToList()))
                    .ToList()))
                .ToList()))
            .ToList()));
    }

    private static Failure NoPlan => Outcome.NotFound("No plan has been imported yet.") with { Title = "No plan" };

    /// <summary>
    /// The measures in the CSV layout that <see cref="PlanImport"/> reads, UTF-8 with a BOM so
    /// Excel opens the Japanese text intact: export, edit in Excel, import.
    /// </summary>
    public async Task<Outcome<byte[]>> ExportCsvAsync(CancellationToken cancellationToken)
    {
        var plan = await db.Plans.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        if (plan is null)
        {
            return NoPlan;
        }

        var years = Enumerable.Range(plan.FromFiscalYear, plan.ToFiscalYear - plan.FromFiscalYear + 1).ToList();
        var csv = new StringBuilder();
        csv.Append(string.Join(',', PlanFile.CsvColumns.Concat(PlanFile.OptionalCsvColumns))).Append(',').AppendJoin(',', years.Select(y => $"FY{y}")).Append("\r\n");
        var measures = (await db.Measures.AsNoTracking().ToListAsync(cancellationToken)).OrderBy(m => m.Code, StringComparer.Ordinal);
        foreach (var measure in measures)
        {
            var measureCells = new[] { measure.ItemCode, measure.Code, measure.Title, measure.OwnerSectionCode, measure.RouteName };
            var indicators = measure.Indicators.Count > 0 ? measure.Indicators : [null!];
            foreach (var indicator in indicators)
            {
                var cells = measureCells
                    .Concat(indicator is null ? ["", "", ""] : [indicator.Code, indicator.Title, indicator.Unit])
                    .Concat([measure.ConsultSections, measure.ConsultRequired?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, measure.ApprovalClass ?? string.Empty, measure.Budget?.ToString(CultureInfo.InvariantCulture) ?? string.Empty, measure.RetentionClass ?? string.Empty])
                    .Concat(years.Select(y => indicator is not null && indicator.Targets.TryGetValue(y, out var v) ? v.ToString(CultureInfo.InvariantCulture) : string.Empty));
                csv.AppendJoin(',', cells.Select(CsvTable.Cell)).Append("\r\n");
            }
        }

        return Outcome.Ok<byte[]>([.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())]);
    }
}
