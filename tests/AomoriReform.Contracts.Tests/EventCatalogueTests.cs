using System.Reflection;
using System.Text;
using System.Xml.Linq;
using AomoriReform.Contracts.Plan;

namespace AomoriReform.Tests.Contracts;

/// <summary>
/// The bus events are half of the product's contract. Their catalogue, docs/events.md, is generated
/// from src/Contracts (the types, their fields and their XML documentation), never kept by hand: this
/// test fails when a contract changes and the catalogue was not regenerated. To regenerate it:
/// <c>AOMORI_WRITE_CATALOGUE=1 dotnet test tests/AomoriReform.Contracts.Tests --filter EventCatalogue</c>.
/// </summary>
public sealed class EventCatalogueTests
{
    private static readonly Assembly Contracts = typeof(PlanImported).Assembly;

    /// <summary>What a field of a common name means, where the contract does not say more.</summary>
    private static readonly Dictionary<string, string> CommonFields = new(StringComparer.Ordinal)
    {
        ["ReportId"] = "the progress report (one per measure and fiscal year)",
        ["TaskId"] = "the work task",
        ["PlanId"] = "the reform plan",
        ["MeasureCode"] = "the measure (取組), e.g. 2.1.1-01",
        ["ItemCode"] = "the outline item (取組項目) the measure belongs to, e.g. 2.1.1",
        ["SectionCode"] = "the owning section (課)",
        ["DepartmentCode"] = "the owning section's department (部局)",
        ["FiscalYear"] = "the fiscal year (年度) the report is for, named by the year it starts in",
        ["Actor"] = "who acted (display name)",
        ["OnBehalfOf"] = "whose authority a deputy (代理) used, when one acted (display name)",
        ["At"] = "when, UTC",
        ["FromStatus"] = "the status before the action (null when the report opened)",
        ["Status"] = "the status after the action",
        ["Version"] = "the report's version after the action: apply each version once, in order",
        ["DueDate"] = "the due date (Japan date)",
        ["StepId"] = "the route step",
    };

    [Fact]
    public void The_event_catalogue_is_generated_from_the_contracts()
    {
        var generated = Generate();
        var path = Path.Combine(RepositoryRoot(), "docs", "events.md");
        if (Environment.GetEnvironmentVariable("AOMORI_WRITE_CATALOGUE") == "1")
        {
            File.WriteAllText(path, generated);
        }

        var current = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : string.Empty;
        Assert.True(current == generated,
            "docs/events.md is not the catalogue of src/Contracts: regenerate it with AOMORI_WRITE_CATALOGUE=1 dotnet test tests/AomoriReform.Contracts.Tests --filter EventCatalogue");
    }

    [Fact]
    public void Every_event_says_when_it_is_published()
    {
        var docs = Docs();
        Assert.All(Events(), type => Assert.False(string.IsNullOrWhiteSpace(Summary(docs, $"T:{type.FullName}")), $"{type.Name} has no summary"));
    }

    [Fact]
    public void Every_field_of_every_event_says_what_it_means()
    {
        var docs = Docs();
        var unexplained = Records().SelectMany(type => type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract")
                .Where(p => Summary(docs, $"P:{p.DeclaringType!.FullName}.{p.Name}").Length == 0 && !CommonFields.ContainsKey(p.Name))
                .Select(p => $"{type.Name}.{p.Name}"))
            .ToList();
        Assert.True(unexplained.Count == 0, "fields without a meaning: " + string.Join(", ", unexplained));
    }

    private static IEnumerable<Type> Events() => Records().Where(t => !Parts().Contains(t));

    /// <summary>Records that are only ever a field of an event (a list's element), never published alone.</summary>
    private static IEnumerable<Type> Parts() =>
        Records().Where(part => Records().Any(t => t.GetProperties().Any(p => p.PropertyType.IsGenericType && p.PropertyType.GetGenericArguments().Contains(part))));

    private static IEnumerable<Type> Records() =>
        Contracts.GetExportedTypes().Where(t => t.IsSealed && t.GetMethod("<Clone>$") is not null).OrderBy(t => t.Namespace, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal);

    private static string Generate()
    {
        var docs = Docs();
        var text = new StringBuilder();
        text.Append("""
            # Event catalogue

            Generated from `src/Contracts` by `tests/AomoriReform.Contracts.Tests/EventCatalogueTests.cs`; do not edit by hand
            (`AOMORI_WRITE_CATALOGUE=1 dotnet test tests/AomoriReform.Contracts.Tests --filter EventCatalogue` regenerates it).

            **Delivery.** Every event is written to the outbox in the transaction of the action that caused it, so an event
            exists if and only if the action committed. The dispatcher publishes it at least once (MassTransit over RabbitMQ
            with publisher confirms and durable queues in production; the in-memory transport in the embedded default, where a
            row counts as sent only once every consumer recorded it). Consumers must be idempotent: deduplicate by the
            message id (`processed_messages`), as ours do.

            **Ordering.** Events of one report are published in commit order (the outbox is read in sequence order), but a
            consumer may see them out of order after a retry or with competing consumers: report events carry the report's
            `version`; apply a version once and ignore an older one.

            **Identity and versioning.** A contract's full type name is its identity on the wire (its namespace never moves).
            Changes are additive only: a new field may be added (consumers ignore fields they do not know); a field is never
            renamed, retyped or removed; a breaking change is a new event type. An event type is retired only once another
            event carries what it said; a host can still publish a retired type, by a setting, for subscribers not yet moved.

            **Instants** are UTC (`DateTime`, `Z`); dates (`DateOnly`) are Japan dates.

            """);
        foreach (var type in Events())
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n## `{type.FullName}`\n\n");
            AppendRecord(text, docs, type);
        }

        text.Append("\n## Parts of events\n\nRecords that events carry in a field; never published alone.\n");
        foreach (var type in Parts())
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n### `{type.FullName}`\n\n");
            AppendRecord(text, docs, type);
        }

        return text.ToString();
    }

    private static void AppendRecord(StringBuilder text, XDocument docs, Type type)
    {
        var summary = Summary(docs, $"T:{type.FullName}");
        var inherited = type.BaseType is { IsAbstract: true } baseType && baseType != typeof(object) ? baseType : null;
        text.Append(summary);
        if (inherited is not null)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $" {Summary(docs, $"T:{inherited.FullName}")}");
        }

        text.Append("\n\n| field | type | meaning |\n|---|---|---|\n");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract")
            .OrderBy(p => p.DeclaringType == type ? 1 : 0).ThenBy(p => p.MetadataToken))
        {
            var meaning = Summary(docs, $"P:{property.DeclaringType!.FullName}.{property.Name}");
            if (meaning.Length == 0)
            {
                meaning = CommonFields.GetValueOrDefault(property.Name, string.Empty);
            }

            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"| `{Camel(property.Name)}` | {TypeName(property)} | {meaning} |\n");
        }
    }

    private static string Camel(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static string TypeName(PropertyInfo property)
    {
        var nullable = new NullabilityInfoContext().Create(property).ReadState == NullabilityState.Nullable;
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        var name = type switch
        {
            _ when type == typeof(Guid) => "uuid",
            _ when type == typeof(string) => "string",
            _ when type == typeof(int) => "integer",
            _ when type == typeof(DateTime) => "instant (UTC)",
            _ when type == typeof(DateOnly) => "date",
            _ when type == typeof(bool) => "boolean",
            _ when type.IsGenericType && type.GetGenericArguments() is [var element] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) => $"list of {(element == typeof(string) ? "string" : $"`{element.Name}` (below)")}",
            _ => type.Name,
        };
        return nullable ? $"{name} or null" : name;
    }

    private static XDocument Docs() => XDocument.Load(Path.ChangeExtension(Contracts.Location, ".xml"));

    private static string Summary(XDocument docs, string member)
    {
        var element = docs.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == member)?.Element("summary");
        if (element is null)
        {
            return string.Empty;
        }

        var text = string.Concat(element.Nodes().Select(node => node switch
        {
            XElement { Name.LocalName: "see" } see => "`" + ((string?)see.Attribute("cref"))?.Split('.')[^1] + "`",
            XElement { Name.LocalName: "c" } code => "`" + code.Value + "`",
            XElement other => other.Value,
            _ => node.ToString(),
        }));
        return string.Join(' ', text.Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AomoriReform.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (AomoriReform.sln) is not above the test's directory.");
    }
}
