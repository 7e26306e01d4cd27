using System.Globalization;
using AomoriReform.Workflows.Files;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AomoriReform.Workflows.Plan;

/// <summary>What a plan file says, before it is checked against the database.</summary>
public sealed class PlanDocument
{
    public string? Title { get; set; }
    public int? FromFiscalYear { get; set; }
    public int? ToFiscalYear { get; set; }
    public int HeaderLine { get; set; } = 1;

    /// <summary>Null when the file carries measures only (the CSV layout).</summary>
    public List<OutlineRow>? Outline { get; set; }
    public List<MeasureRow> Measures { get; } = [];

    /// <summary>The CSV reader reports repeated measures itself, with its rule about consecutive rows.</summary>
    public bool DuplicatesReported { get; set; }
}

public sealed record OutlineRow(int Line, int Level, string Code, string Title, string? ParentCode, int Order);

public sealed class MeasureRow
{
    public int Line { get; init; }
    public required string Code { get; init; }
    public required string ItemCode { get; init; }
    public required string Title { get; init; }
    public required string SectionCode { get; init; }
    public string? Route { get; init; }

    /// <summary>The sections that concur on its reports (合議), for a route that consults the measure's sections.</summary>
    public List<string> Consult { get; init; } = [];

    /// <summary>How many of them must concur; null: all. Its line, for errors.</summary>
    public int? ConsultRequired { get; init; }
    public int ConsultLine { get; init; }

    /// <summary>決裁区分: who decides (a slug such as section-chief), for the approval rules.</summary>
    public string? ApprovalClass { get; init; }

    /// <summary>事業費 in yen, for the approval rules; null when not given.</summary>
    public long? Budget { get; init; }

    /// <summary>保存期間 of its decided reports (1, 3, 5, 10, 30 or 常用); null when not given.</summary>
    public string? Retention { get; init; }
    public List<IndicatorRow> Indicators { get; } = [];
}

public sealed class IndicatorRow
{
    public int Line { get; init; }
    public required string Code { get; init; }
    public required string Title { get; init; }
    public required string Unit { get; init; }
    public List<(int Line, int Year, decimal Value)> Targets { get; } = [];
}

/// <summary>
/// Reads the two plan file layouts: YAML (the whole plan, outline and measures) and CSV (one
/// row per indicator, for editing the measures in Excel). Syntax problems are collected per line.
/// </summary>
public static class PlanFile
{
    public const string FileKind = "plan file";
    public static readonly string[] CsvColumns =
        ["item_code", "measure_code", "measure_title", "section_code", "route", "indicator_code", "indicator_title", "unit"];

    /// <summary>Columns a CSV may have (the export writes them): the measure's consulted sections (space-separated), their quorum, its 決裁区分, its 事業費 in yen.</summary>
    public static readonly string[] OptionalCsvColumns = ["consult", "consult_required", "approval_class", "budget", "retention"];

    /// <summary>Deepest nesting of mappings and sequences a plan file may have (a real plan needs about 8).</summary>
    public const int MaxYamlDepth = 64;

    /// <summary>Most YAML nodes (scalars, mappings, sequences) a plan file may have.</summary>
    public const int MaxYamlNodes = 250_000;

    public static PlanDocument ReadYaml(byte[] file, List<FileError> errors)
    {
        var text = TextFile.Decode(file, FileKind);
        CheckYamlShape(text);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new FileRejectedException(FileKind, [new FileError((int)e.Start.Line, $"is not valid YAML: {e.Message}")]);
        }

        var document = new PlanDocument();
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FileRejectedException(FileKind, [new FileError(1, "the file must be a YAML mapping with title, fromFiscalYear, toFiscalYear, viewpoints and measures")]);
        }

        document.Title = Scalar(root, "title", errors, required: false);
        document.FromFiscalYear = Year(root, "fromFiscalYear", errors);
        document.ToFiscalYear = Year(root, "toFiscalYear", errors);
        if (Child(root, "viewpoints") is { } viewpoints)
        {
            document.Outline = [];
            var order = 0;
            foreach (var viewpoint in Sequence(viewpoints, "viewpoints", errors))
            {
                var code = Scalar(viewpoint, "code", errors) ?? string.Empty;
                document.Outline.Add(new OutlineRow(Line(viewpoint), 1, code, Scalar(viewpoint, "title", errors) ?? string.Empty, null, order++));
                foreach (var area in Sequence(Child(viewpoint, "areas"), "areas", errors))
                {
                    var areaCode = Scalar(area, "code", errors) ?? string.Empty;
                    document.Outline.Add(new OutlineRow(Line(area), 2, areaCode, Scalar(area, "title", errors) ?? string.Empty, code, order++));
                    foreach (var item in Sequence(Child(area, "items"), "items", errors))
                    {
                        document.Outline.Add(new OutlineRow(
                            Line(item), 3, Scalar(item, "code", errors) ?? string.Empty, Scalar(item, "title", errors) ?? string.Empty, areaCode, order++));
                    }
                }
            }
        }

        foreach (var node in Sequence(Child(root, "measures"), "measures", errors))
        {
            var measure = new MeasureRow
            {
                Line = Line(node),
                Code = Scalar(node, "code", errors) ?? string.Empty,
                ItemCode = Scalar(node, "item", errors) ?? string.Empty,
                Title = Scalar(node, "title", errors) ?? string.Empty,
                SectionCode = Scalar(node, "section", errors) ?? string.Empty,
                Route = Scalar(node, "route", errors, required: false),
                Consult = Child(node, "consult") switch
                {
                    null => [],
                    YamlSequenceNode list => list.Children.Select(c => (c as YamlScalarNode)?.Value?.Trim() ?? string.Empty).ToList(),
                    var other => Refused(errors, Line(other), "consult must be a list of section codes, e.g. [zaisei, jinji]"),
                },
                ConsultRequired = Child(node, "consultRequired") is YamlScalarNode { Value: { } required }
                    ? int.TryParse(required, NumberStyles.None, CultureInfo.InvariantCulture, out var quorum) && quorum > 0 ? quorum : RefusedNumber(errors, Line(Child(node, "consultRequired")!), "consultRequired must be a whole number from 1")
                    : null,
                ConsultLine = Child(node, "consult") is { } consultNode ? Line(consultNode) : Line(node),
                ApprovalClass = Scalar(node, "approvalClass", errors, required: false),
                Budget = Scalar(node, "budget", errors, required: false) is { } budget ? Yen(budget, Line(Child(node, "budget")!), errors) : null,
                Retention = Scalar(node, "retention", errors, required: false),
            };
            foreach (var indicatorNode in Sequence(Child(node, "indicators"), "indicators", errors, required: false))
            {
                var indicator = new IndicatorRow
                {
                    Line = Line(indicatorNode),
                    Code = Scalar(indicatorNode, "code", errors) ?? string.Empty,
                    Title = Scalar(indicatorNode, "title", errors) ?? string.Empty,
                    Unit = Scalar(indicatorNode, "unit", errors, required: false) ?? string.Empty,
                };
                if (Child(indicatorNode, "targets") is YamlMappingNode targets)
                {
                    foreach (var (key, value) in targets.Children)
                    {
                        AddTarget(indicator, Line(key), (key as YamlScalarNode)?.Value, (value as YamlScalarNode)?.Value, errors);
                    }
                }
                else if (Child(indicatorNode, "targets") is { } other)
                {
                    errors.Add(new FileError(Line(other), "targets must be a mapping of fiscal year to value, e.g. { 2024: 10, 2025: 20 }"));
                }

                measure.Indicators.Add(indicator);
            }

            document.Measures.Add(measure);
        }

        return document;
    }

    /// <summary>Refuses, naming the line, a file whose shape could take the parser down (see <see cref="YamlShape"/>).</summary>
    private static void CheckYamlShape(string text)
    {
        if (YamlShape.Problem(text, MaxYamlDepth, MaxYamlNodes, FileKind) is { } problem)
        {
            throw new FileRejectedException(FileKind, [problem]);
        }
    }

    public static PlanDocument ReadCsv(byte[] file, List<FileError> errors)
    {
        var (header, records) = CsvTable.Parse(TextFile.Decode(file, FileKind), FileKind);
        var missing = CsvColumns.Where(c => !header.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            throw new FileRejectedException(FileKind, [new FileError(1, $"the header must name the columns {string.Join(",", CsvColumns)},FY2024,...; missing: {string.Join(", ", missing)}")]);
        }

        var yearColumns = header
            .Where(h => h.Length == 6 && h.StartsWith("FY", StringComparison.OrdinalIgnoreCase) && int.TryParse(h.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .ToList();
        var document = new PlanDocument { DuplicatesReported = true };
        MeasureRow? current = null;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var code = record.Text("measure_code");
            if (current is null || current.Code != code)
            {
                if (seen.TryGetValue(code, out var firstLine))
                {
                    errors.Add(new FileError(record.Line, $"duplicate measure code '{code}' (first on line {firstLine}; rows of one measure must be consecutive)"));
                }
                else
                {
                    seen[code] = record.Line;
                }

                current = new MeasureRow
                {
                    Line = record.Line,
                    Code = code,
                    ItemCode = record.Text("item_code"),
                    Title = record.Text("measure_title"),
                    SectionCode = record.Text("section_code"),
                    Route = record.Text("route").Length == 0 ? null : record.Text("route"),
                    Consult = [.. record.Text("consult").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                    ConsultRequired = record.Text("consult_required") is { Length: > 0 } quorum
                        ? int.TryParse(quorum, NumberStyles.None, CultureInfo.InvariantCulture, out var q) && q > 0 ? q : RefusedNumber(errors, record.Line, "consult_required must be a whole number from 1")
                        : null,
                    ConsultLine = record.Line,
                    ApprovalClass = record.Text("approval_class").Length == 0 ? null : record.Text("approval_class"),
                    Budget = record.Text("budget") is { Length: > 0 } budget ? Yen(budget, record.Line, errors) : null,
                    Retention = record.Text("retention").Length == 0 ? null : record.Text("retention"),
                };
                document.Measures.Add(current);
            }
            else if (current.ItemCode != record.Text("item_code") || current.Title != record.Text("measure_title") || current.SectionCode != record.Text("section_code")
                || (current.Route ?? string.Empty) != record.Text("route"))
            {
                errors.Add(new FileError(record.Line, $"measure '{code}' has a different item, title, section or route than on line {current.Line}"));
            }

            if (record.Text("indicator_code").Length == 0 && record.Text("indicator_title").Length == 0)
            {
                continue;
            }

            var indicator = new IndicatorRow { Line = record.Line, Code = record.Text("indicator_code"), Title = record.Text("indicator_title"), Unit = record.Text("unit") };
            foreach (var column in yearColumns)
            {
                AddTarget(indicator, record.Line, column[2..], record.Text(column), errors);
            }

            current.Indicators.Add(indicator);
        }

        return document;
    }

    private static void AddTarget(IndicatorRow indicator, int line, string? yearText, string? valueText, List<FileError> errors)
    {
        if (string.IsNullOrWhiteSpace(valueText))
        {
            return;
        }

        if (!int.TryParse(yearText, NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            errors.Add(new FileError(line, $"target year '{yearText}' is not a fiscal year such as 2025"));
        }
        else if (!decimal.TryParse(valueText.Trim().Replace(",", string.Empty, StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var value))
        {
            errors.Add(new FileError(line, $"target for {year} '{valueText}' is not a number"));
        }
        else
        {
            indicator.Targets.Add((line, year, value));
        }
    }

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private static long? Yen(string text, int line, List<FileError> errors)
    {
        if (Engine.ApprovalRuleSet.ParseYen(text) is { } yen)
        {
            return yen;
        }

        errors.Add(new FileError(line, $"budget '{FileError.Shorten(text)}' is not an amount of yen such as 150000000"));
        return null;
    }

    private static List<string> Refused(List<FileError> errors, int line, string message)
    {
        errors.Add(new FileError(line, message));
        return [];
    }

    private static int? RefusedNumber(List<FileError> errors, int line, string message)
    {
        errors.Add(new FileError(line, message));
        return null;
    }

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static string? Scalar(YamlNode node, string key, List<FileError> errors, bool required = true)
    {
        var child = Child(node, key);
        if (child is YamlScalarNode { Value: { } value } && value.Length > 0)
        {
            return value.Trim();
        }

        if (child is not null and not YamlScalarNode)
        {
            errors.Add(new FileError(Line(child), $"{key} must be a single value"));
        }
        else if (required)
        {
            errors.Add(new FileError(Line(node), $"{key} is missing"));
        }

        return null;
    }

    private static int? Year(YamlNode node, string key, List<FileError> errors)
    {
        var text = Scalar(node, key, errors, required: false);
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            return year;
        }

        errors.Add(new FileError(Line(Child(node, key)!), $"{key} '{text}' is not a fiscal year such as 2024"));
        return null;
    }

    private static IEnumerable<YamlNode> Sequence(YamlNode? node, string key, List<FileError> errors, bool required = true)
    {
        switch (node)
        {
            case YamlSequenceNode sequence:
                return sequence.Children;
            case null when !required:
                return [];
            case null:
                return [];
            default:
                errors.Add(new FileError(Line(node), $"{key} must be a list"));
                return [];
        }
    }
}
