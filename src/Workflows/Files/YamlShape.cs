using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AomoriReform.Workflows.Files;

/// <summary>
/// The shape a YAML file the product reads (a plan, a route, approval rules) may have, checked on
/// the parser's events, which needs no recursion, before anything builds a node tree (which
/// recurses once per level and ends the process on a deep enough file). Anchors and aliases are
/// refused: none of these files needs them, and alias expansion turns a few kilobytes into gigabytes.
/// </summary>
public static class YamlShape
{
    /// <summary>The first problem with the file's shape, naming its line; null when the shape is fine.</summary>
    public static FileError? Problem(string text, int maxDepth, int maxNodes, string fileKind)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        var nodes = 0;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                var line = Math.Max((int)current.Start.Line, 1);
                switch (current)
                {
                    case AnchorAlias:
                        return new FileError(line, $"uses an alias (*name); {fileKind}s must not use anchors or aliases");
                    case NodeEvent { Anchor.IsEmpty: false }:
                        return new FileError(line, $"defines an anchor (&name); {fileKind}s must not use anchors or aliases");
                }

                if (current is NodeEvent && ++nodes > maxNodes)
                {
                    return new FileError(line, $"the file has more than {maxNodes} values");
                }

                if (current is MappingStart or SequenceStart && ++depth > maxDepth)
                {
                    return new FileError(line, $"is nested deeper than {maxDepth} levels");
                }

                if (current is MappingEnd or SequenceEnd)
                {
                    depth--;
                }
            }
        }
        catch (YamlException e)
        {
            return new FileError(Math.Max((int)e.Start.Line, 1), $"is not valid YAML: {e.Message}");
        }

        return null;
    }
}
