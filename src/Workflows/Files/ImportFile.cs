namespace AomoriReform.Workflows.Files;

/// <summary>What the plan and organisation imports accept, whether the file comes by the API or the admin pages.</summary>
public static class ImportFile
{
    /// <summary>The largest file an import reads (API.md: 10 MiB).</summary>
    public const long MaxBytes = 10L << 20;
}
