using System.Security.Cryptography;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Workflows.Definitions;

/// <summary>A route or rules file as an administrator sends it: its bytes, the name it came with, their SHA-256.</summary>
public sealed record DefinitionFile(byte[] Content, string FileName)
{
    /// <summary>The largest route or rules file (1 MiB: a route is a few kilobytes).</summary>
    public const long MaxBytes = 1L << 20;

    /// <summary>What a file sent through the API is called in errors and in the record.</summary>
    public const string ApiFileName = "api-upload.yaml";

    public string Sha256 { get; } = Convert.ToHexStringLower(SHA256.HashData(Content));

    /// <summary>The file name as stored: without folders, one line, at most 200 characters.</summary>
    public string StoredName
    {
        get
        {
            var name = Path.GetFileName(FileName.Replace('\\', '/'));
            name = Codes.IsCleanText(name) && name.Length > 0 ? name : ApiFileName;
            return name.Length <= 200 ? name : name[..200];
        }
    }

    /// <summary>The file's text (strict UTF-8); a file of another encoding is refused naming its lines.</summary>
    public string Text(string fileKind) => TextFile.Decode(Content, fileKind);

    /// <summary>The format a Content-Type names: YAML only.</summary>
    public static bool IsYamlMediaType(string? contentType) =>
        contentType?.Split(';')[0].Trim().ToLowerInvariant() is "application/yaml" or "application/x-yaml" or "text/yaml" or "text/x-yaml";

    /// <summary>A file name an upload may have: .yaml or .yml.</summary>
    public static bool IsYamlFileName(string? fileName) =>
        Path.GetExtension(fileName ?? string.Empty).ToLowerInvariant() is ".yaml" or ".yml";
}
