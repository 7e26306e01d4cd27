using System.Text.Json;
using System.Text.RegularExpressions;
using AomoriReform.Contracts.Plan;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Plan;

public enum PlanFileFormat
{
    Yaml,
    Csv,
}

public sealed record PlanImportResult(bool DryRun, ImportChanges Outline, ImportChanges Measures);

/// <summary>
/// Imports the action plan from YAML or CSV. All or nothing: unknown item, duplicate
/// measure, unknown section, unknown route, a target outside the plan period, broken
/// encoding: every bad line is named and nothing is imported. A re-import reports what it
/// added, changed and left unchanged; measures the file leaves out are kept, because
/// their reports and journal must stay (retiring a measure is a separate act).
/// </summary>
public sealed partial class PlanImport(ReformDbContext db, Outbox outbox, TimeProvider time)
{
    private static readonly JsonSerializerOptions CompareJson = new(JsonSerializerDefaults.Web);

    /// <summary>The format a Content-Type names (the API's choice): YAML or CSV, null for anything else.</summary>
    public static PlanFileFormat? FormatOfMediaType(string? contentType) =>
        contentType?.Split(';')[0].Trim().ToLowerInvariant() switch
        {
            "application/yaml" or "application/x-yaml" or "text/yaml" or "text/x-yaml" => PlanFileFormat.Yaml,
            "text/csv" => PlanFileFormat.Csv,
            _ => null,
        };

    /// <summary>The format a file name's extension names (an uploaded file's choice): .yaml/.yml or .csv, null for anything else.</summary>
    public static PlanFileFormat? FormatOfFileName(string? fileName) =>
        Path.GetExtension(fileName ?? string.Empty).ToLowerInvariant() switch
        {
            ".yaml" or ".yml" => PlanFileFormat.Yaml,
            ".csv" => PlanFileFormat.Csv,
            _ => null,
        };

    public async Task<Outcome<PlanImportResult>> ImportAsync(byte[] file, PlanFileFormat format, string actor, bool dryRun, CancellationToken cancellationToken)
    {
        try
        {
            return Outcome.Ok(await RunAsync(file, format, actor, dryRun, cancellationToken));
        }
        catch (FileRejectedException rejected)
        {
            return rejected.ToFailure();
        }
    }

    private async Task<PlanImportResult> RunAsync(byte[] file, PlanFileFormat format, string actor, bool dryRun, CancellationToken cancellationToken)
    {
        var errors = new List<FileError>();
        var document = format == PlanFileFormat.Yaml ? PlanFile.ReadYaml(file, errors) : PlanFile.ReadCsv(file, errors);

        var plan = await db.Plans.SingleOrDefaultAsync(cancellationToken);
        var from = document.FromFiscalYear ?? plan?.FromFiscalYear;
        var to = document.ToFiscalYear ?? plan?.ToFiscalYear;
        if (plan is null && (document.Title is null || from is null || to is null || document.Outline is null))
        {
            errors.Add(new FileError(0, "there is no plan yet: the first import must be a YAML file with title, fromFiscalYear, toFiscalYear, viewpoints and measures"));
        }

        if (from is < 2000 or > 2100 || to is < 2000 or > 2100 || from > to)
        {
            errors.Add(new FileError(document.HeaderLine, $"the plan period {from}-{to} is not a range of fiscal years"));
        }

        var itemCodes = document.Outline is { } outline
            ? CheckOutline(outline, errors)
            : (await db.PlanItems.Select(i => i.Code).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var sectionCodes = (await db.Sections.Select(s => s.Code).ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        // A measure names a route that new reports can start on: one with an active (not retired) version.
        var routeNames = await Engine.ApprovalRuleSets.ActiveRoutesAsync(db, cancellationToken);
        CheckMeasures(document, itemCodes, sectionCodes, routeNames, from ?? 0, to ?? 0, errors);
        // A consultation never asks the owning section, so a route must consult some other section.
        var newest = (await db.WorkflowDefinitions.AsNoTracking().Where(d => d.RetiredAt == null).ToListAsync(cancellationToken))
            .GroupBy(d => d.Name).ToDictionary(g => g.Key, g => Engine.RouteDefinition.FromJson(g.MaxBy(d => d.Version)!.Definition), StringComparer.Ordinal);
        foreach (var measure in document.Measures)
        {
            if (newest.TryGetValue(measure.Route ?? Measure.DefaultRoute, out var route)
                && route.Steps.FirstOrDefault(step => step.Kind == Engine.StepKind.Consult && !step.Assignee.FromMeasure && step.Assignee.Sections.All(section => section == measure.SectionCode)) is { } alone)
            {
                errors.Add(new FileError(measure.Line, $"measure '{measure.Code}' of section '{measure.SectionCode}' is on route '{route.Name}', whose consultation '{alone.Id}' asks only that section; a consultation asks other sections"));
            }

            CheckConsult(measure, sectionCodes, errors);
        }
        if (errors.Count > 0)
        {
            throw new FileRejectedException(PlanFile.FileKind, errors.OrderBy(e => e.Line).ToList());
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (plan is null)
        {
            plan = new ReformPlan { Id = Guid.CreateVersion7(time.GetUtcNow()), Title = document.Title!, FromFiscalYear = from!.Value, ToFiscalYear = to!.Value };
            db.Plans.Add(plan);
        }

        plan.Title = document.Title ?? plan.Title;
        plan.FromFiscalYear = from!.Value;
        plan.ToFiscalYear = to!.Value;
        plan.UpdatedAt = now;

        var outlineChanges = document.Outline is null ? new ImportChanges([], [], []) : await ApplyOutlineAsync(document.Outline, cancellationToken);
        var measureChanges = await ApplyMeasuresAsync(document.Measures, cancellationToken);
        var result = new PlanImportResult(dryRun, outlineChanges, measureChanges);
        if (dryRun)
        {
            db.ChangeTracker.Clear();
            return result;
        }

        outbox.Add(new PlanImported
        {
            PlanId = plan.Id,
            FromFiscalYear = plan.FromFiscalYear,
            ToFiscalYear = plan.ToFiscalYear,
            AddedMeasureCodes = measureChanges.Added,
            ChangedMeasureCodes = measureChanges.Changed,
            Actor = actor,
            At = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        return result;
    }

    private static HashSet<string> CheckOutline(List<OutlineRow> outline, List<FileError> errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in outline)
        {
            var pattern = row.Level switch { 1 => ViewpointCode(), 2 => AreaCode(), _ => ItemCode() };
            if (!pattern.IsMatch(row.Code))
            {
                errors.Add(new FileError(row.Line, $"code '{row.Code}' is not a {(row.Level == 1 ? "viewpoint code such as 1" : row.Level == 2 ? "area code such as 1.2" : "item code such as 1.2.3")}"));
            }
            else if (row.ParentCode is not null && !row.Code.StartsWith(row.ParentCode + ".", StringComparison.Ordinal))
            {
                errors.Add(new FileError(row.Line, $"code '{row.Code}' does not start with its parent's code '{row.ParentCode}.'"));
            }

            if (!seen.TryAdd(row.Code, row.Line))
            {
                errors.Add(new FileError(row.Line, $"duplicate code '{row.Code}' (first on line {seen[row.Code]})"));
            }

            CheckText(row.Line, "title", row.Title, 200, errors);
        }

        return outline.Where(r => r.Level == 3).Select(r => r.Code).ToHashSet(StringComparer.Ordinal);
    }

    private static void CheckMeasures(
        PlanDocument document, HashSet<string> items, HashSet<string> sections, HashSet<string> routes, int from, int to, List<FileError> errors)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var measure in document.Measures)
        {
            if (!MeasureCode().IsMatch(measure.Code))
            {
                errors.Add(new FileError(measure.Line, $"measure code '{measure.Code}' must be 1-32 letters, digits, '.', '-' or '_'"));
            }
            else if (!seen.TryAdd(measure.Code, measure.Line) && !document.DuplicatesReported)
            {
                errors.Add(new FileError(measure.Line, $"duplicate measure code '{measure.Code}' (first on line {seen[measure.Code]})"));
            }

            if (!items.Contains(measure.ItemCode))
            {
                errors.Add(new FileError(measure.Line, $"measure '{measure.Code}' names unknown item code '{measure.ItemCode}'"));
            }

            if (!sections.Contains(measure.SectionCode))
            {
                errors.Add(new FileError(measure.Line, $"measure '{measure.Code}' names unknown section '{measure.SectionCode}'; import the organisation file first"));
            }

            if (!routes.Contains(measure.Route ?? Measure.DefaultRoute))
            {
                errors.Add(new FileError(measure.Line, $"measure '{measure.Code}' names unknown route '{measure.Route ?? Measure.DefaultRoute}'; one of {string.Join(", ", routes.Order(StringComparer.Ordinal))}"));
            }

            CheckText(measure.Line, "measure title", measure.Title, 200, errors);
            var indicatorCodes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var indicator in measure.Indicators)
            {
                if (!Codes.IsIndicatorCode(indicator.Code) || !indicatorCodes.Add(indicator.Code))
                {
                    errors.Add(new FileError(indicator.Line, $"indicator code '{indicator.Code}' of measure '{measure.Code}' is repeated, or not 1-16 letters, digits, '.', '-' or '_'"));
                }

                CheckText(indicator.Line, "indicator title", indicator.Title, 200, errors);
                if (indicator.Unit.Length > 16 || !Codes.IsCleanText(indicator.Unit))
                {
                    errors.Add(new FileError(indicator.Line, "unit must be at most 16 characters without control characters"));
                }

                foreach (var (line, year, _) in indicator.Targets.Where(t => t.Year < from || t.Year > to))
                {
                    errors.Add(new FileError(line, $"target for {year} is outside the plan period FY{from}-FY{to}"));
                }

                foreach (var repeated in indicator.Targets.GroupBy(t => t.Year).Where(g => g.Count() > 1))
                {
                    errors.Add(new FileError(repeated.Last().Line, $"target for {repeated.Key} is given twice"));
                }
            }
        }
    }

    /// <summary>合議 per measure: known sections, not the owning one (it decides at its own step), each once; a quorum within their number.</summary>
    private static void CheckConsult(MeasureRow measure, HashSet<string> sectionCodes, List<FileError> errors)
    {
        foreach (var section in measure.Consult)
        {
            if (!sectionCodes.Contains(section))
            {
                errors.Add(new FileError(measure.ConsultLine, $"consult: unknown section '{section}'"));
            }
            else if (section == measure.SectionCode)
            {
                errors.Add(new FileError(measure.ConsultLine, $"consult: '{section}' owns measure '{measure.Code}'; a consultation asks other sections"));
            }
        }

        if (measure.Consult.Distinct(StringComparer.Ordinal).Count() != measure.Consult.Count)
        {
            errors.Add(new FileError(measure.ConsultLine, "consult: a section is listed twice"));
        }

        if (measure.ConsultRequired is { } required && required > measure.Consult.Count)
        {
            errors.Add(new FileError(measure.ConsultLine, $"consultRequired {required} is more than the {measure.Consult.Count} section(s) consulted"));
        }

        if (measure.Retention is { } retention && !Retention.IsClass(retention))
        {
            errors.Add(new FileError(measure.Line, $"retention '{FileError.Shorten(retention)}' must be one of {string.Join(", ", Retention.Classes)} (years, or 常用 for no end)"));
        }

        if (measure.ApprovalClass is { } approvalClass && (!Codes.IsSlug(approvalClass) || approvalClass.Length > ApprovalRuleSet.MaxClassLength))
        {
            errors.Add(new FileError(measure.Line, $"approvalClass '{FileError.Shorten(approvalClass)}' must be a lowercase slug such as section-chief, at most {ApprovalRuleSet.MaxClassLength} characters"));
        }
    }

    private static void CheckText(int line, string what, string text, int maxLength, List<FileError> errors)
    {
        if (text.Length == 0)
        {
            errors.Add(new FileError(line, $"{what} is empty"));
        }
        else if (text.Length > maxLength || !Codes.IsCleanText(text))
        {
            errors.Add(new FileError(line, $"{what} must be at most {maxLength} characters without control characters"));
        }
    }

    private async Task<ImportChanges> ApplyOutlineAsync(List<OutlineRow> outline, CancellationToken cancellationToken)
    {
        var viewpoints = await db.Viewpoints.ToDictionaryAsync(v => v.Code, StringComparer.Ordinal, cancellationToken);
        var areas = await db.Areas.ToDictionaryAsync(a => a.Code, StringComparer.Ordinal, cancellationToken);
        var items = await db.PlanItems.ToDictionaryAsync(i => i.Code, StringComparer.Ordinal, cancellationToken);
        List<string> added = [], changed = [], unchanged = [];
        foreach (var row in outline)
        {
            var (exists, same) = row.Level switch
            {
                1 => Upsert(viewpoints, row.Code, v => v.Title == row.Title && v.Order == row.Order,
                    () => db.Viewpoints.Add(new Viewpoint { Code = row.Code, Title = row.Title, Order = row.Order }),
                    v => (v.Title, v.Order) = (row.Title, row.Order)),
                2 => Upsert(areas, row.Code, a => a.Title == row.Title && a.Order == row.Order && a.ViewpointCode == row.ParentCode,
                    () => db.Areas.Add(new Area { Code = row.Code, Title = row.Title, Order = row.Order, ViewpointCode = row.ParentCode! }),
                    a => (a.Title, a.Order, a.ViewpointCode) = (row.Title, row.Order, row.ParentCode!)),
                _ => Upsert(items, row.Code, i => i.Title == row.Title && i.Order == row.Order && i.AreaCode == row.ParentCode,
                    () => db.PlanItems.Add(new PlanItem { Code = row.Code, Title = row.Title, Order = row.Order, AreaCode = row.ParentCode! }),
                    i => (i.Title, i.Order, i.AreaCode) = (row.Title, row.Order, row.ParentCode!)),
            };
            (exists ? same ? unchanged : changed : added).Add(row.Code);
        }

        return new ImportChanges(added, changed, unchanged);
    }

    private static (bool Exists, bool Same) Upsert<T>(Dictionary<string, T> existing, string code, Func<T, bool> same, Action add, Action<T> update)
    {
        if (!existing.TryGetValue(code, out var current))
        {
            add();
            return (false, false);
        }

        if (same(current))
        {
            return (true, true);
        }

        update(current);
        return (true, false);
    }

    private async Task<ImportChanges> ApplyMeasuresAsync(List<MeasureRow> rows, CancellationToken cancellationToken)
    {
        var measures = await db.Measures.ToDictionaryAsync(m => m.Code, StringComparer.Ordinal, cancellationToken);
        List<string> added = [], changed = [], unchanged = [];
        foreach (var row in rows)
        {
            var indicators = row.Indicators
                .Select(i => new Indicator { Code = i.Code, Title = i.Title, Unit = i.Unit, Targets = new SortedDictionary<int, decimal>(i.Targets.ToDictionary(t => t.Year, t => t.Value)) })
                .ToList();
            var route = row.Route ?? Measure.DefaultRoute;
            var consult = string.Join(' ', row.Consult);
            if (!measures.TryGetValue(row.Code, out var measure))
            {
                db.Measures.Add(new Measure
                {
                    Id = Guid.CreateVersion7(time.GetUtcNow()),
                    Code = row.Code,
                    ItemCode = row.ItemCode,
                    Title = row.Title,
                    OwnerSectionCode = row.SectionCode,
                    RouteName = route,
                    Indicators = indicators,
                    ConsultSections = consult,
                    ConsultRequired = row.ConsultRequired,
                    ApprovalClass = row.ApprovalClass,
                    Budget = row.Budget,
                    RetentionClass = row.Retention,
                });
                added.Add(row.Code);
            }
            else if (measure.ItemCode == row.ItemCode && measure.Title == row.Title && measure.OwnerSectionCode == row.SectionCode
                && measure.RouteName == route && SameIndicators(measure.Indicators, indicators)
                && measure.ConsultSections == consult && measure.ConsultRequired == row.ConsultRequired && measure.ApprovalClass == row.ApprovalClass && measure.Budget == row.Budget && measure.RetentionClass == row.Retention)
            {
                unchanged.Add(row.Code);
            }
            else
            {
                measure.ItemCode = row.ItemCode;
                measure.Title = row.Title;
                measure.OwnerSectionCode = row.SectionCode;
                measure.RouteName = route;
                measure.Indicators = indicators;
                measure.ConsultSections = consult;
                measure.ConsultRequired = row.ConsultRequired;
                measure.ApprovalClass = row.ApprovalClass;
                measure.Budget = row.Budget;
                measure.RetentionClass = row.Retention;
                changed.Add(row.Code);
            }
        }

        return new ImportChanges(added, changed, unchanged);
    }

    private static bool SameIndicators(List<Indicator> a, List<Indicator> b) =>
        JsonSerializer.Serialize(a, CompareJson) == JsonSerializer.Serialize(b, CompareJson);

    [GeneratedRegex("^[1-9][0-9]?$")]
    private static partial Regex ViewpointCode();

    [GeneratedRegex(@"^[1-9][0-9]?\.[1-9][0-9]?$")]
    private static partial Regex AreaCode();

    [GeneratedRegex(@"^[1-9][0-9]?\.[1-9][0-9]?\.[1-9][0-9]?$")]
    private static partial Regex ItemCode();

    [GeneratedRegex(@"^[0-9A-Za-z._\-]{1,32}$")]
    private static partial Regex MeasureCode();
}
