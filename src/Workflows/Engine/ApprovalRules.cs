using System.Globalization;
using System.Text.Json;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Organisation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AomoriReform.Workflows.Engine;

/// <summary>
/// One rule of an <see cref="ApprovalRuleSet"/>: the reports of measures of a class (and, when
/// <paramref name="MinBudget"/> is given, whose budget is at least that many yen) take
/// <paramref name="Route"/>.
/// </summary>
public sealed record ApprovalRule(string Class, string Route, long? MinBudget = null);

/// <summary>
/// 決裁区分 routing: which approval route a measure's progress reports take, chosen by who decides
/// them (the measure's approval class: 課長専決 section-chief, 部長専決 department-head, 本部長決裁
/// hq-head) and optionally by its budget (事業費). Data like routes: a named, versioned file,
/// in force from <see cref="EffectiveFrom"/> (a Japan date), never changed once published.
/// </summary>
public sealed record ApprovalRuleSet(string Name, int Version, string Title, DateOnly EffectiveFrom, IReadOnlyList<ApprovalRule> Rules)
{
    public const string FileKind = "approval rules file";

    /// <summary>The longest class name, as a measure stores it.</summary>
    public const int MaxClassLength = 64;

    public const int MaxRules = 200;

    /// <summary>The largest budget a rule or a measure may name: a thousand trillion yen.</summary>
    public const long MaxBudget = 1_000_000_000_000_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly string[] FileKeys = ["name", "version", "title", "effectiveFrom", "rules"];
    private static readonly string[] RuleKeys = ["class", "route", "minBudget"];

    /// <summary>
    /// The rule for a measure: of those naming its class whose budget threshold the measure reaches,
    /// the one with the highest threshold; null when none does (the measure keeps its own route).
    /// </summary>
    public ApprovalRule? Choose(string? approvalClass, long? budget) =>
        approvalClass is null ? null
        : Rules.Where(r => r.Class == approvalClass && (r.MinBudget is null || budget >= r.MinBudget)).MaxBy(r => r.MinBudget ?? -1);

    /// <summary>What a report records of the rule that chose its route, e.g. "approval-rules v1: department-head → progress-report-with-head".</summary>
    public string Describe(ApprovalRule rule)
    {
        var text = $"{Name} v{Version.ToString(CultureInfo.InvariantCulture)}: {rule.Class}"
            + (rule.MinBudget is { } min ? $" (budget ≥ {min.ToString("N0", CultureInfo.InvariantCulture)})" : string.Empty) + $" → {rule.Route}";
        return text.Length <= 200 ? text : text[..199] + "…";
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ApprovalRuleSet FromJson(string json) => JsonSerializer.Deserialize<ApprovalRuleSet>(json, Json)!;

    /// <summary>
    /// Reads and checks a rules file, collecting every problem with its line. A rule naming a
    /// route not in <paramref name="knownRoutes"/> (when given: the routes with an active version)
    /// is a problem, so is a class named twice with the same threshold.
    /// </summary>
    public static ApprovalRuleSet Parse(string fileName, string yaml, ISet<string>? knownRoutes = null)
    {
        if (YamlShape.Problem(yaml, 16, 10_000, FileKind) is { } shape)
        {
            throw new ApprovalRulesException(fileName, [shape]);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new ApprovalRulesException(fileName, [new FileError(Math.Max((int)e.Start.Line, 1), $"is not valid YAML: {e.Message}")]);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ApprovalRulesException(fileName, [new FileError(1, "the file is one YAML mapping with name, version, effectiveFrom and rules")]);
        }

        var errors = new List<FileError>();
        UnknownKeys(root, FileKeys, "the file", errors);
        var name = Scalar(root, "name", errors) ?? string.Empty;
        if (name.Length > 0 && (!Codes.IsSlug(name) || name.Length > RouteDefinition.MaxNameLength))
        {
            errors.Add(new FileError(Line(root, "name"), $"name '{FileError.Shorten(name)}' must be a lowercase slug of at most {RouteDefinition.MaxNameLength} characters, such as approval-rules"));
        }

        var version = 0;
        if (Scalar(root, "version", errors) is { } versionText
            && (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out version) || version is < 1 or > 9999))
        {
            errors.Add(new FileError(Line(root, "version"), "version must be a whole number from 1 to 9999"));
        }

        var title = Scalar(root, "title", errors, required: false) ?? name;
        if (title.Length > 200 || !Codes.IsCleanText(title))
        {
            errors.Add(new FileError(Line(root, "title"), "title is one line of text of at most 200 characters"));
        }

        var effectiveFrom = default(DateOnly);
        if (Scalar(root, "effectiveFrom", errors) is { } dateText
            && (!DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out effectiveFrom) || effectiveFrom.Year is < 2000 or > 2100))
        {
            errors.Add(new FileError(Line(root, "effectiveFrom"), $"effectiveFrom '{FileError.Shorten(dateText)}' is not a date such as 2025-04-01 (from 2000 to 2100)"));
        }

        var rules = new List<ApprovalRule>();
        var seen = new Dictionary<(string, long?), int>();
        switch (Child(root, "rules"))
        {
            case YamlSequenceNode { Children.Count: > MaxRules } many:
                errors.Add(new FileError((int)many.Children[MaxRules].Start.Line, $"a rules file has at most {MaxRules} rules"));
                break;
            case YamlSequenceNode { Children.Count: > 0 } list:
                foreach (var item in list.Children)
                {
                    var line = (int)item.Start.Line;
                    if (item is not YamlMappingNode node)
                    {
                        errors.Add(new FileError(line, "a rule is a mapping with class and route (and optionally minBudget)"));
                        continue;
                    }

                    UnknownKeys(node, RuleKeys, "a rule", errors);
                    var ruleClass = Scalar(node, "class", errors);
                    if (ruleClass is not null && (!Codes.IsSlug(ruleClass) || ruleClass.Length > MaxClassLength))
                    {
                        errors.Add(new FileError(Line(node, "class"), $"class '{FileError.Shorten(ruleClass)}' must be a lowercase slug of at most {MaxClassLength} characters, such as section-chief"));
                        ruleClass = null;
                    }

                    var route = Scalar(node, "route", errors);
                    if (route is not null && knownRoutes is not null && !knownRoutes.Contains(route))
                    {
                        errors.Add(new FileError(Line(node, "route"), $"unknown route '{FileError.Shorten(route)}'; one of {string.Join(", ", knownRoutes.Order(StringComparer.Ordinal))}"));
                        route = null;
                    }

                    long? minBudget = null;
                    if (Scalar(node, "minBudget", errors, required: false) is { } budgetText)
                    {
                        minBudget = ParseYen(budgetText);
                        if (minBudget is null)
                        {
                            errors.Add(new FileError(Line(node, "minBudget"), $"minBudget '{FileError.Shorten(budgetText)}' is not an amount of yen such as 100000000"));
                            continue;
                        }
                    }

                    if (ruleClass is null || route is null)
                    {
                        continue;
                    }

                    if (!seen.TryAdd((ruleClass, minBudget), line))
                    {
                        errors.Add(new FileError(line, $"duplicate rule for class '{ruleClass}'{(minBudget is null ? string.Empty : $" from {minBudget.Value.ToString(CultureInfo.InvariantCulture)} yen")} (first on line {seen[(ruleClass, minBudget)]})"));
                        continue;
                    }

                    rules.Add(new ApprovalRule(ruleClass, route, minBudget));
                }

                break;
            case var other:
                errors.Add(new FileError(other is null ? 1 : (int)other.Start.Line, "rules must be a non-empty list of { class, route }"));
                break;
        }

        if (errors.Count > 0)
        {
            throw new ApprovalRulesException(fileName, errors.OrderBy(e => e.Line).ToList());
        }

        return new ApprovalRuleSet(name, version, title, effectiveFrom, rules);
    }

    /// <summary>An amount of yen: digits, optionally grouped with commas or underscores (100,000,000); null when it is not one.</summary>
    public static long? ParseYen(string text)
    {
        var digits = text.Trim().Replace(",", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
        return digits.Length is > 0 and <= 16 && digits.All(char.IsAsciiDigit) && text.Trim()[0] is >= '0' and <= '9'
            && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var yen) && yen <= MaxBudget
            ? yen : null;
    }

    private static void UnknownKeys(YamlMappingNode node, string[] known, string what, List<FileError> errors)
    {
        foreach (var key in node.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } k } || !known.Contains(k, StringComparer.Ordinal))
            {
                errors.Add(new FileError((int)key.Start.Line, $"unknown key '{FileError.Shorten((key as YamlScalarNode)?.Value ?? "?")}'; {what} has {string.Join(", ", known)}"));
            }
        }
    }

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static int Line(YamlNode node, string key) => (int)(Child(node, key)?.Start.Line ?? node.Start.Line);

    private static string? Scalar(YamlNode node, string key, List<FileError> errors, bool required = true)
    {
        switch (Child(node, key))
        {
            case YamlScalarNode { Value: { } value } when value.Trim().Length > 0:
                return value.Trim();
            case YamlScalarNode or null when required:
                errors.Add(new FileError((int)node.Start.Line, $"{key} is missing"));
                return null;
            case YamlScalarNode or null:
                return null;
            case var other:
                errors.Add(new FileError((int)other.Start.Line, $"{key} must be a single value"));
                return null;
        }
    }

}

/// <summary>A rules file was refused: every problem with its line; the message names the file and the first.</summary>
public sealed class ApprovalRulesException(string fileName, IReadOnlyList<FileError> errors)
    : Exception($"Approval rules {fileName}, line {errors[0].Line}: {errors[0].Message}{(errors.Count > 1 ? $" (and {errors.Count - 1} more)" : string.Empty)}.")
{
    public string FileName { get; } = fileName;
    public int Line => Errors[0].Line;
    public IReadOnlyList<FileError> Errors { get; } = errors;
}
