using System.Text;

namespace AomoriReform.Host.Records;

/// <summary>
/// How a file is offered for download: always as an attachment (never shown in the browser), its
/// name twice per RFC 6266: an ASCII <c>filename</c> for old clients (anything outside letters,
/// digits, '.', '-' and '_' becomes '_', the extension kept) and the real name, Japanese and all,
/// as <c>filename*</c> in UTF-8 percent-encoding (RFC 5987/8187). Nothing of the name can end the
/// header or add a parameter.
/// </summary>
public static class Downloads
{
    public static string ContentDisposition(string fileName, string? asciiFallback = null) =>
        $"attachment; filename=\"{AsciiFallback(asciiFallback ?? fileName)}\"; filename*=UTF-8''{Encode(fileName)}";

    public static string AsciiFallback(string fileName)
    {
        var extension = Path.GetExtension(fileName);
        extension = extension.Length > 1 && extension.Skip(1).All(char.IsAsciiLetterOrDigit) ? extension : string.Empty;
        var stem = fileName[..^extension.Length];
        var safe = new StringBuilder(stem.Length);
        foreach (var c in stem)
        {
            var kept = char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_';
            if (kept != '_' || safe.Length == 0 || safe[^1] != '_')
            {
                safe.Append(kept);
            }
        }

        var name = safe.ToString().Trim('_', '.');
        return (name.Length == 0 ? "file" : name[..Math.Min(name.Length, 100)]) + extension;
    }

    /// <summary>RFC 5987 value-chars: attr-char as is, every other UTF-8 byte as %XX.</summary>
    private static string Encode(string value)
    {
        var encoded = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '&' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~')
            {
                encoded.Append(c);
            }
            else
            {
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return encoded.ToString();
    }
}
