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

    /// <summary>Reads an uploaded file of at most <paramref name="maxBytes"/> (default 10 MiB); the error is a sentence for the field, or null.</summary>
    public static async Task<(ImportUpload? File, string? Error, FileRejectedException? Encoding)> ReadAsync(
        IFormFile? file, Func<string, bool> acceptsName, string typeError, string fileKind, IStringLocalizer l, CancellationToken cancellationToken,
        long maxBytes = ImportFile.MaxBytes)
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

        if (file.Length > maxBytes)
        {
            return (null, TooLarge(l, maxBytes), null);
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
        Carried? carried, Func<string, bool> acceptsName, string typeError, string fileKind, IStringLocalizer l, long maxBytes = ImportFile.MaxBytes)
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

        return upload.Content.Length > maxBytes
            ? (null, TooLarge(l, maxBytes), null)
            : Check(upload, acceptsName, typeError, fileKind, l);
    }

    private static string TooLarge(IStringLocalizer l, long maxBytes) => maxBytes == ImportFile.MaxBytes
        ? l["ファイルが大きすぎます。10 MB以内のファイルを選んでください。"]
        : l["ファイルが大きすぎます。{0} MB以内のファイルを選んでください。", Display.Number(Math.Max(1, (int)(maxBytes >> 20)))];

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

/// <summary>
/// What the two steps of <c>ImportSteps</c> say, so that the same steps serve a file that is
/// imported (the plan, the organisation) and one that is published (a route, approval rules).
/// </summary>
public sealed record ImportStepTexts(
    string CheckLead, string ApplyTitle, string NotYetTitle, string NotYetText, string ApplyButton, string DoneTitle, string DoneText, string ResultTitle,
    string RefusedSummary, long MaxBytes)
{
    /// <summary>For an import: 取り込む.</summary>
    public static ImportStepTexts Import(IStringLocalizer l) => new(
        l["選んだファイルを読み、取り込むと何が変わるかを表示します。この段階では何も変更しません。"],
        l["2. 内容を確かめて取り込む"],
        l["まだ取り込んでいません"],
        l["「{0}」（{1}）を取り込むと、次のようになります。よろしければ「取り込む」を押してください。"],
        l["取り込む"],
        l["取り込みました"],
        l["「{0}」の内容を反映しました。結果は次のとおりです。"],
        l["取り込みの結果"],
        l["ファイルに{0}件の誤りがあります。何も取り込んでいません。"],
        ImportFile.MaxBytes);

    /// <summary>For a definition that is published as a new version: 公開する.</summary>
    public static ImportStepTexts Publish(IStringLocalizer l, long maxBytes) => new(
        l["選んだファイルを読み、誤りがないかを確かめて、公開される内容を表示します。この段階では何も公開しません。"],
        l["2. 内容を確かめて公開する"],
        l["まだ公開していません"],
        l["「{0}」（{1}）を公開すると、次の内容が新しい版になります。よろしければ「公開する」を押してください。"],
        l["公開する"],
        l["公開しました"],
        l["「{0}」を新しい版として公開しました。"],
        l["公開した内容"],
        l["ファイルに{0}件の誤りがあります。何も公開していません。"],
        maxBytes);
}
