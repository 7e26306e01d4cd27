using System.Globalization;
using System.Text.Json;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Organisation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AomoriReform.Workflows.Engine;

public enum StepKind
{
    /// <summary>The owning section writes the report.</summary>
    Draft,
    /// <summary>One approver (a chief or head) approves or returns.</summary>
    Approve,
    /// <summary>HQ accepts (final) or returns.</summary>
    Review,
    /// <summary>合議: every listed section concurs, in parallel, or one objects.</summary>
    Consult,
}

/// <summary>Where an assignee role is looked for, relative to the report's owning section.</summary>
public enum AssigneeScope
{
    Section,
    Department,
    Hq,
    Sections,
}

/// <summary>
/// Who may act on a step: a role within a scope (a candidate group), never a named person. A
/// consultation lists its sections, or takes them from the report's measure (<c>sections: measure</c>).
/// </summary>
public sealed record AssigneeRule(Role Role, AssigneeScope Scope, IReadOnlyList<string> Sections, bool FromMeasure = false);

/// <summary>
/// One step of a route. <paramref name="DueDays"/> and <paramref name="Reminders"/> count calendar
/// days, or business days (skipping 閉庁日, the days the offices are closed) when
/// <paramref name="BusinessDays"/>. <paramref name="Bulk"/>: whether the step's decision may be taken
/// for many reports at once (一括承認). <paramref name="Required"/>: how many consulted sections must
/// concur (a quorum); null means all of them.
/// </summary>
public sealed record RouteStep(
    string Id, StepKind Kind, string Status, AssigneeRule Assignee, int DueDays, IReadOnlyList<int> Reminders,
    string? Title = null, bool Bulk = true, int? Required = null, bool BusinessDays = false)
{
    /// <summary>The step's title as the route names it, else one said by its kind and role.</summary>
    public string DisplayTitle => Title ?? (Kind, Assignee.Role) switch
    {
        (StepKind.Draft, _) => "担当課の作成・提出",
        (StepKind.Approve, Role.DepartmentHead) => "部長決裁",
        (StepKind.Approve, _) => "課長決裁",
        (StepKind.Consult, _) => "関係課の合議",
        (StepKind.Review, _) => "推進本部の審査・受理",
        _ => Id,
    };
}

/// <summary>
/// An approval route (決裁ルート): a named, versioned, ordered list of steps. Data, not code:
/// loaded from YAML files, stored in the database, and never changed once an instance runs
/// on it; a change is a new version.
/// </summary>
public sealed record RouteDefinition(string Name, int Version, string Title, IReadOnlyList<RouteStep> Steps)
{
    public const string AcceptedStatus = "Accepted";
    public const string ReturnedStatus = "Returned";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public RouteStep First => Steps[0];

    public RouteStep Step(string id) => Steps.First(s => s.Id == id);

    public RouteStep? Find(string? id) => Steps.FirstOrDefault(s => s.Id == id);

    /// <summary>The step's place on the route, from 0 (the draft); -1 when there is no such step.</summary>
    public int IndexOf(string? stepId) => Steps.ToList().FindIndex(s => s.Id == stepId);

    public RouteStep? After(RouteStep step)
    {
        var index = IndexOf(step.Id);
        return index + 1 < Steps.Count ? Steps[index + 1] : null;
    }

    /// <summary>The step a report waits at in <paramref name="status"/>: the draft step when returned, none when accepted.</summary>
    public RouteStep? AtStatus(string status) =>
        Steps.FirstOrDefault(s => s.Status == status) ?? (status == ReturnedStatus ? First : null);

    /// <summary>Every status a report on this route can have, in route order.</summary>
    public IEnumerable<string> Statuses => Steps.Select(s => s.Status).Append(ReturnedStatus).Append(AcceptedStatus).Distinct();

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RouteDefinition FromJson(string json) => JsonSerializer.Deserialize<RouteDefinition>(json, Json)!;

    /// <summary>The longest route or step name, as stored.</summary>
    public const int MaxNameLength = 64;

    /// <summary>The most steps a route may have.</summary>
    public const int MaxSteps = 20;

    /// <summary>Deepest nesting a route file may have (a route needs 4).</summary>
    public const int MaxYamlDepth = 16;

    /// <summary>Most YAML values a route file may have.</summary>
    public const int MaxYamlNodes = 10_000;

    /// <summary>Reads and checks a definition file; a problem names the file and line.</summary>
    public static RouteDefinition Parse(string fileName, string yaml, ISet<string>? knownSections = null)
    {
        if (Files.YamlShape.Problem(yaml, MaxYamlDepth, MaxYamlNodes, "route file") is { } shape)
        {
            throw new RouteDefinitionException(fileName, shape.Line, shape.Message);
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new RouteDefinitionException(fileName, (int)e.Start.Line, e.Message);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new RouteDefinitionException(fileName, 1, "a definition is one YAML mapping with name, version, title and steps");
        }

        Known(fileName, root, FileKeys, "a definition");

        var name = Text(fileName, root, "name");
        if (!Codes.IsSlug(name) || name.Length > MaxNameLength)
        {
            throw new RouteDefinitionException(fileName, Line(root, "name"), $"name '{FileError.Shorten(name)}' must be a lowercase slug of at most {MaxNameLength} characters, such as progress-report");
        }

        if (!int.TryParse(Text(fileName, root, "version"), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version is < 1 or > 9999)
        {
            throw new RouteDefinitionException(fileName, Line(root, "version"), "version must be a whole number from 1 to 9999");
        }

        var routeTitle = name;
        if (Child(root, "title") is { } titleNode)
        {
            routeTitle = titleNode is YamlScalarNode { Value: { Length: > 0 } t } ? t.Trim() : string.Empty;
            if (routeTitle.Length is 0 or > 200 || !Codes.IsCleanText(routeTitle))
            {
                throw new RouteDefinitionException(fileName, (int)titleNode.Start.Line, "title is one line of text of at most 200 characters");
            }
        }

        if (Child(root, "steps") is not YamlSequenceNode stepNodes || stepNodes.Children.Count == 0)
        {
            throw new RouteDefinitionException(fileName, Line(root, "steps"), "steps must be a non-empty list");
        }

        if (stepNodes.Children.Count > MaxSteps)
        {
            throw new RouteDefinitionException(fileName, (int)stepNodes.Children[MaxSteps].Start.Line, $"a route has at most {MaxSteps} steps");
        }

        var steps = new List<RouteStep>();
        foreach (var item in stepNodes.Children)
        {
            if (item is not YamlMappingNode node)
            {
                throw new RouteDefinitionException(fileName, (int)item.Start.Line, "a step is a mapping with id, kind, status and assignee");
            }

            var line = (int)node.Start.Line;
            Known(fileName, node, StepKeys, "a step");
            var id = Text(fileName, node, "id");
            if (!Codes.IsSlug(id) || id.Length > MaxNameLength)
            {
                throw new RouteDefinitionException(fileName, Line(node, "id"), $"step id '{FileError.Shorten(id)}' must be a lowercase slug of at most {MaxNameLength} characters, such as section-approval");
            }

            if (steps.Any(s => s.Id == id))
            {
                throw new RouteDefinitionException(fileName, line, $"duplicate step '{id}'");
            }

            if (!Enum.TryParse<StepKind>(Text(fileName, node, "kind"), ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            {
                throw new RouteDefinitionException(fileName, Line(node, "kind"), $"unknown step kind '{Text(fileName, node, "kind")}'; one of draft, approve, review, consult");
            }

            var status = Text(fileName, node, "status");
            if (!IsStatusName(status))
            {
                throw new RouteDefinitionException(fileName, Line(node, "status"), $"status '{FileError.Shorten(status)}' must be a name of ASCII letters starting with a capital, at most 32, such as SectionApproved");
            }

            if (status is AcceptedStatus or ReturnedStatus || steps.Any(s => s.Status == status))
            {
                throw new RouteDefinitionException(fileName, Line(node, "status"), $"status '{status}' is reserved or used by another step");
            }

            if (Child(node, "assignee") is not YamlMappingNode assignee)
            {
                throw new RouteDefinitionException(fileName, line, $"step '{id}' needs an assignee {{ role, scope }}");
            }

            Known(fileName, assignee, AssigneeKeys, "an assignee");
            if (!Roles.TryParse(Text(fileName, assignee, "role"), out var role))
            {
                throw new RouteDefinitionException(fileName, Line(assignee, "role"), $"unknown role '{Text(fileName, assignee, "role")}'; one of {string.Join(", ", Roles.All)}");
            }

            if (!Enum.TryParse<AssigneeScope>(Text(fileName, assignee, "scope"), ignoreCase: true, out var scope) || !Enum.IsDefined(scope))
            {
                throw new RouteDefinitionException(fileName, Line(assignee, "scope"), "scope must be section, department, hq or sections");
            }

            var sections = Child(assignee, "sections") is YamlSequenceNode list
                ? list.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? string.Empty).ToList()
                : [];
            var fromMeasure = Child(assignee, "sections") is YamlScalarNode { Value: "measure" };
            if (kind == StepKind.Consult && (scope != AssigneeScope.Sections || (sections.Count == 0 && !fromMeasure)))
            {
                throw new RouteDefinitionException(fileName, line, $"consult step '{id}' needs scope: sections and a list of sections (or sections: measure, the measure's own)");
            }

            int? required = null;
            if (Child(node, "required") is YamlScalarNode requiredNode)
            {
                if (kind != StepKind.Consult || !int.TryParse(requiredNode.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var quorum) || quorum < 1
                    || (!fromMeasure && quorum > sections.Count))
                {
                    throw new RouteDefinitionException(fileName, (int)requiredNode.Start.Line, "required is for a consult step: how many of its sections must concur, from 1 to their number");
                }

                required = quorum;
            }

            var bulk = true;
            if (Child(node, "bulk") is YamlScalarNode bulkNode)
            {
                if (!bool.TryParse(bulkNode.Value, out bulk) || kind == StepKind.Draft)
                {
                    throw new RouteDefinitionException(fileName, (int)bulkNode.Start.Line, "bulk is true or false, on a step after the draft");
                }
            }

            if (sections.FirstOrDefault(s => !Codes.IsSlug(s) || s.Length > MaxNameLength) is { } malformed)
            {
                throw new RouteDefinitionException(fileName, Line(assignee, "sections"), $"section '{FileError.Shorten(malformed)}' is not a section code such as zaisei");
            }

            if (knownSections is not null && sections.FirstOrDefault(s => !knownSections.Contains(s)) is { } unknown)
            {
                throw new RouteDefinitionException(fileName, Line(assignee, "sections"), $"unknown section '{unknown}'");
            }

            if (Child(node, "dueDays") is not null && Child(node, "dueBusinessDays") is not null)
            {
                throw new RouteDefinitionException(fileName, line, $"step '{id}' has dueDays and dueBusinessDays; give one");
            }

            var businessDays = Child(node, "dueBusinessDays") is not null;
            var dueNode = Child(node, businessDays ? "dueBusinessDays" : "dueDays");
            var dueDays = 0;
            if (dueNode is not null && (dueNode is not YamlScalarNode { Value: { } dueText } || !int.TryParse(dueText, NumberStyles.None, CultureInfo.InvariantCulture, out dueDays) || dueDays > 365))
            {
                throw new RouteDefinitionException(fileName, (int)dueNode.Start.Line, $"{(businessDays ? "dueBusinessDays" : "dueDays")} is a whole number of days from 0 to 365");
            }

            var reminders = new List<int>();
            if (Child(node, "reminders") is YamlSequenceNode remindersNode)
            {
                foreach (var reminder in remindersNode.Children)
                {
                    if (reminder is not YamlScalarNode { Value: { } text } || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var offset) || offset > 365)
                    {
                        throw new RouteDefinitionException(fileName, (int)reminder.Start.Line, "a reminder is a whole number of days before the due date, from 0 to 365");
                    }

                    reminders.Add(offset);
                }
            }

            var stepTitle = Child(node, "title") is YamlScalarNode { Value: { Length: > 0 } t } ? t.Trim() : null;
            if (stepTitle is { Length: > 100 } || (stepTitle is not null && !Codes.IsCleanText(stepTitle)))
            {
                throw new RouteDefinitionException(fileName, Line(node, "title"), "a step title is one line of text of at most 100 characters");
            }

            steps.Add(new RouteStep(id, kind, status, new AssigneeRule(role, scope, sections, fromMeasure), dueDays, reminders.OrderDescending().ToList(),
                stepTitle, bulk, required, businessDays));
        }

        if (steps[0].Kind != StepKind.Draft || steps.Skip(1).Any(s => s.Kind == StepKind.Draft))
        {
            throw new RouteDefinitionException(fileName, (int)stepNodes.Start.Line, "the first step, and only the first, is the draft step");
        }

        if (steps[^1].Kind != StepKind.Review || steps.SkipLast(1).Any(s => s.Kind == StepKind.Review))
        {
            throw new RouteDefinitionException(fileName, (int)stepNodes.Start.Line, "no final step: the last step, and only the last, must be a review step (HQ accepts)");
        }

        return new RouteDefinition(name, version, routeTitle, steps);
    }

    private static readonly string[] FileKeys = ["name", "version", "title", "steps"];
    private static readonly string[] StepKeys = ["id", "kind", "status", "title", "assignee", "dueDays", "dueBusinessDays", "reminders", "bulk", "required"];
    private static readonly string[] AssigneeKeys = ["role", "scope", "sections"];

    /// <summary>A key the format does not know is a mistake (a misspelt <c>dueDays</c> would silently mean no due date).</summary>
    private static void Known(string fileName, YamlMappingNode node, string[] keys, string what)
    {
        foreach (var key in node.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name } || !keys.Contains(name, StringComparer.Ordinal))
            {
                throw new RouteDefinitionException(fileName, (int)key.Start.Line,
                    $"unknown key '{FileError.Shorten((key as YamlScalarNode)?.Value ?? "?")}'; {what} has {string.Join(", ", keys)}");
            }
        }
    }

    private static bool IsStatusName(string status) =>
        status.Length <= 32 && char.IsAsciiLetterUpper(status[0]) && status.All(char.IsAsciiLetter);


    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    private static int Line(YamlNode node, string key) => (int)(Child(node, key)?.Start.Line ?? node.Start.Line);

    private static string Text(string fileName, YamlNode node, string key) =>
        Child(node, key) is YamlScalarNode { Value: { Length: > 0 } value }
            ? value.Trim()
            : throw new RouteDefinitionException(fileName, (int)node.Start.Line, $"{key} is missing");
}

public sealed class RouteDefinitionException(string fileName, int line, string problem)
    : Exception($"Route definition {fileName}, line {line}: {problem}.")
{
    public string FileName { get; } = fileName;
    public int Line { get; } = line;

    /// <summary>What is wrong, without the file and line.</summary>
    public string Problem { get; } = problem;
}
