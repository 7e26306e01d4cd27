namespace AomoriReform.Workflows.Engine;

/// <summary>A published route definition version as stored; instances refer to (name, version).</summary>
public sealed class WorkflowDefinitionRecord
{
    public required string Name { get; set; }
    public int Version { get; set; }
    public required string Title { get; set; }

    /// <summary>The parsed definition as JSON; immutable once stored.</summary>
    public required string Definition { get; set; }
    public required string SourceFile { get; set; }
    public DateTime PublishedAt { get; set; }
}
