using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Mono.Cecil;

namespace AomoriReform.Tests.Architecture;

/// <summary>
/// The Workflows project is organised by feature folder (one namespace each). The folders may
/// depend on one another only one way: no cycles. Persistence is the EF Core model, so it names
/// every feature's stored types; it may name nothing else of a feature (a service, a helper).
/// Dependencies are read from the compiled IL: signatures, attributes and method bodies.
/// </summary>
public sealed class FeatureFolderTests
{
    private const string Root = "AomoriReform.Workflows";
    private const string Model = "Persistence";

    private static readonly Lazy<Dictionary<(string From, string To), string>> Edges = new(ReadEdges);

    [Fact]
    public void The_feature_folders_depend_on_one_another_without_cycles()
    {
        var graph = Edges.Value.Keys.Where(e => e.From != Model).GroupBy(e => e.From).ToDictionary(g => g.Key, g => g.Select(e => e.To).ToHashSet());
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, cycle is null ? null : "A cycle between feature folders: " + string.Join(" -> ", cycle.Select((f, i) =>
            i + 1 < cycle.Count ? $"{f} ({Edges.Value[(f, cycle[i + 1])]})" : f)));
    }

    [Fact]
    public void The_engine_knows_routes_tasks_and_callers_but_not_reports()
    {
        var engine = Edges.Value.Keys.Where(e => e.From == "Engine").Select(e => e.To).ToHashSet();
        Assert.DoesNotContain("Reports", engine);
        Assert.DoesNotContain("Deputies", engine);
        Assert.DoesNotContain("CheckIns", engine);
    }

    [Fact]
    public void Persistence_names_only_the_stored_types_of_the_features()
    {
        using var db = new SqliteReformDbContext(new DbContextOptionsBuilder<SqliteReformDbContext>().UseSqlite("Data Source=:memory:").Options);
        var stored = db.Model.GetEntityTypes()
            .SelectMany(entity => entity.GetProperties().Select(p => p.ClrType).Append(entity.ClrType))
            .SelectMany(Unwrap)
            .Select(t => t.FullName!.Replace('+', '/'))
            .ToHashSet(StringComparer.Ordinal);
        var strangers = ReadReferences()
            .Where(r => Folder(r.From) == Model && Folder(r.To) is { } to && to != Model && to != "Hosting" && to != "Outcomes" && !stored.Contains(r.To))
            .Select(r => $"{r.From} uses {r.To}")
            .Distinct()
            .ToList();
        Assert.True(strangers.Count == 0, string.Join("\n", strangers));
    }

    private static IEnumerable<Type> Unwrap(Type type) =>
        type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap).Prepend(type) : Nullable.GetUnderlyingType(type) is { } inner ? [inner] : [type];

    private static Dictionary<(string From, string To), string> ReadEdges()
    {
        var edges = new Dictionary<(string, string), string>();
        foreach (var (from, to) in ReadReferences())
        {
            if (Folder(from) is { } a && Folder(to) is { } b && a != b)
            {
                edges.TryAdd((a, b), $"{from} uses {to}");
            }
        }

        return edges;
    }

    /// <summary>The feature folder of a type's full name (its namespace's first part under Workflows), or null outside the project.</summary>
    private static string? Folder(string fullName)
    {
        if (!fullName.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = fullName[(Root.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        // A type at the root namespace (none today) has no folder.
        return dot < 0 ? null : rest[..dot];
    }

    private static List<(string From, string To)> ReadReferences()
    {
        using var module = ModuleDefinition.ReadModule(typeof(ReformDbContext).Assembly.Location);
        var references = new List<(string, string)>();
        foreach (var type in module.GetTypes())
        {
            var from = Outermost(type).FullName;
            void Use(TypeReference? used)
            {
                foreach (var name in Names(used))
                {
                    references.Add((from, name));
                }
            }

            Use(type.BaseType);
            type.Interfaces.ToList().ForEach(i => Use(i.InterfaceType));
            Attributes(type.CustomAttributes, Use);
            type.Fields.ToList().ForEach(f => { Use(f.FieldType); Attributes(f.CustomAttributes, Use); });
            type.Properties.ToList().ForEach(p => { Use(p.PropertyType); Attributes(p.CustomAttributes, Use); });
            foreach (var method in type.Methods)
            {
                Use(method.ReturnType);
                method.Parameters.ToList().ForEach(p => Use(p.ParameterType));
                Attributes(method.CustomAttributes, Use);
                if (!method.HasBody)
                {
                    continue;
                }

                method.Body.Variables.ToList().ForEach(v => Use(v.VariableType));
                foreach (var instruction in method.Body.Instructions)
                {
                    switch (instruction.Operand)
                    {
                        case TypeReference t:
                            Use(t);
                            break;
                        case MethodReference m:
                            Use(m.DeclaringType);
                            Use(m.ReturnType);
                            m.Parameters.ToList().ForEach(p => Use(p.ParameterType));
                            if (m is GenericInstanceMethod g)
                            {
                                g.GenericArguments.ToList().ForEach(Use);
                            }

                            break;
                        case FieldReference f:
                            Use(f.DeclaringType);
                            Use(f.FieldType);
                            break;
                    }
                }
            }
        }

        return references;
    }

    private static void Attributes(IEnumerable<CustomAttribute> attributes, Action<TypeReference?> use)
    {
        foreach (var attribute in attributes)
        {
            use(attribute.AttributeType);
        }
    }

    private static TypeDefinition Outermost(TypeDefinition type) => type.DeclaringType is { } outer ? Outermost(outer) : type;

    /// <summary>The project types a type reference names: itself (or its element type) and its generic arguments.</summary>
    private static IEnumerable<string> Names(TypeReference? type)
    {
        switch (type)
        {
            case null:
                yield break;
            case GenericInstanceType generic:
                foreach (var name in Names(generic.ElementType).Concat(generic.GenericArguments.SelectMany(Names)))
                {
                    yield return name;
                }

                yield break;
            case TypeSpecification specification:
                foreach (var name in Names(specification.ElementType))
                {
                    yield return name;
                }

                yield break;
            case GenericParameter:
                yield break;
        }

        var outer = type;
        while (outer.DeclaringType is { } declaring)
        {
            outer = declaring;
        }

        yield return outer.FullName;
    }

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>();
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.Skip(path.IndexOf(next)), next];
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        return graph.Keys.Where(k => state.GetValueOrDefault(k) == 0).Select(Visit).FirstOrDefault(c => c is not null);
    }
}
