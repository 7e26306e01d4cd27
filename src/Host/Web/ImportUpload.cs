using System.Security.Cryptography;
using AomoriReform.Workflows.Files;
using Microsoft.Extensions.Localization;

namespace AomoriReform.Host.Web;

/// <summary>
/// The admin import pages' file, from the upload to the apply post. The checked file travels to
/// the second post in the page itself (its bytes in base64 and their SHA-256, recomputed and
/// compared there), so no server-side store is needed and any host can take the second post.
/// The import checks the whole file again when it applies it.
/// </summary>
public sealed class ImportUpload
{
    private ImportUpload(string fileName, byte[] content)
    {
        FileName = fileName;
        Content = content;
        Sha256 = Hash(content);
    }

    public string FileName { get; }

    public byte[] Content { get; }

    /// <summary>The content's SHA-256, lower-case hex.</summary>
    public string Sha256 { get; }

    public string Base64 => Convert.ToBase64String(Content);

    /// <summary>The posted form of the second step: the file as the first step checked it.</summary>
    public sealed class Carried
    {
        public string? FileName { get; set; }
        public string? Content { get; set; }
        public string? Sha256 { get; set; }
    }

    /// <summary>Reads an uploaded file; the error is a sentence for the field, or null.</summary>
    public static async Task<(ImportUpload? File, string? Error, FileRejectedException? Encoding)> ReadAsync(
        IFormFile? file, Func<string, bool> acceptsName, string typeError, string fileKind, IStringLocalizer l, CancellationToken cancellationToken)
    {
        if (file is null || string.IsNullOrWhiteSpace(file.FileName))
        {
            return (null, l["ファイルを選んでください。"], null);
        }

        var name = Path.GetFileName(file.FileName);
        if (!acceptsName(name))
        {
            return (null, typeError, null);
        }

        if (file.Length == 0)
        {
            return (null, l["ファイルが空です。内容のあるファイルを選んでください。"], null);
        }

        if (file.Length > ImportFile.MaxBytes)
        {
            return (null, l["ファイルが大きすぎます。10 MB以内のファイルを選んでください。"], null);
        }

        using var buffer = new MemoryStream((int)file.Length);
        await using (var stream = file.OpenReadStream())
        {
            await stream.CopyToAsync(buffer, cancellationToken);
        }

        return Check(new ImportUpload(name, buffer.ToArray()), acceptsName, typeError, fileKind, l);
    }

    /// <summary>The file carried to the second post, if it is whole and still what was checked.</summary>
    public static (ImportUpload? File, string? Error, FileRejectedException? Encoding) FromCarried(
        Carried? carried, Func<string, bool> acceptsName, string typeError, string fileKind, IStringLocalizer l)
    {
        if (carried is not { FileName: { Length: > 0 } name, Content: { Length: > 0 } content, Sha256: { Length: 64 } sha256 })
        {
            return (null, l["確認したファイルを読み取れませんでした。もう一度ファイルを選んで、内容を確認してください。"], null);
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(content);
        }
        catch (FormatException)
        {
            return (null, l["確認したファイルを読み取れませんでした。もう一度ファイルを選んで、内容を確認してください。"], null);
        }

        var upload = new ImportUpload(Path.GetFileName(name), bytes);
        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(upload.Sha256), System.Text.Encoding.ASCII.GetBytes(sha256.ToLowerInvariant())))
        {
            return (null, l["ファイルの内容が、確認したときと違います。もう一度ファイルを選んで、内容を確認してください。"], null);
        }

        return upload.Content.Length > ImportFile.MaxBytes
            ? (null, l["ファイルが大きすぎます。10 MB以内のファイルを選んでください。"], null)
            : Check(upload, acceptsName, typeError, fileKind, l);
    }

    private static (ImportUpload?, string?, FileRejectedException?) Check(
        ImportUpload upload, Func<string, bool> acceptsName, string typeError, string fileKind, IStringLocalizer l)
    {
        if (!acceptsName(upload.FileName))
        {
            return (null, typeError, null);
        }

        try
        {
            // The import decodes it the same way; this names the problem beside the field.
            TextFile.Decode(upload.Content, fileKind);
        }
        catch (FileRejectedException rejected)
        {
            return (null, l["文字コードがUTF-8ではありません。UTF-8で保存し直してください（Excelでは「CSV UTF-8」）。"], rejected);
        }

        return (upload, null, null);
    }

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
