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

    /// <summary>Who published it (a person's name; null for the files shipped with the release).</summary>
    public string? PublishedBy { get; set; }

    /// <summary>SHA-256 of the file as published (lower-case hex); null for versions stored before it was kept.</summary>
    public string? Sha256 { get; set; }

    /// <summary>When it was retired (廃止): no new instance starts on it; running ones continue. Null while active.</summary>
    public DateTime? RetiredAt { get; set; }
    public string? RetiredBy { get; set; }
}
