using System.Globalization;
using System.Text;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// The rules for an attached file's name. Japanese names are kept as given (normalised to NFC, as
/// a Mac sends them decomposed); a name is refused, never silently changed, when it is empty, too
/// long, carries a path (a traversal), control or invisible formatting characters (e.g. U+202E,
/// which makes "報告‮xslx.exe" read as an Excel file), characters Windows does not allow in a file
/// name, or is a Windows device name.
/// </summary>
public static class AttachmentNames
{
    /// <summary>What file systems allow: 255 bytes of UTF-8, about 85 Japanese characters.</summary>
    public const int MaxBytes = 255;

    private static readonly string[] DeviceNames =
        ["CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"];

    /// <summary>Why the name is not acceptable (a sentence for the API), or null; <paramref name="normalized"/> is the name to keep.</summary>
    public static string? Problem(string? name, out string normalized)
    {
        normalized = string.Empty;
        if (string.IsNullOrWhiteSpace(name))
        {
            return "the file has no name";
        }

        if (!name.IsNormalized(NormalizationForm.FormC))
        {
            try
            {
                name = name.Normalize(NormalizationForm.FormC);
            }
            catch (ArgumentException)
            {
                return "the name is not valid Unicode";
            }
        }

        // A path, or one hidden behind percent-encoding (never decoded here, but refused all the same).
        if (name.Contains('/') || name.Contains('\\') || name.Trim('.').Length == 0
            || Uri.UnescapeDataString(name).Contains('/') || Uri.UnescapeDataString(name).Contains('\\'))
        {
            return "the name must be a file name, without a path";
        }

        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate)
            {
                return "the name has control or invisible formatting characters";
            }
        }

        if (name.IndexOfAny(['<', '>', ':', '"', '|', '?', '*']) >= 0)
        {
            return "the name has a character Windows does not allow in file names (< > : \" | ? *)";
        }

        if (name != name.Trim() || name.EndsWith('.'))
        {
            return "the name starts or ends with a space, or ends with a dot";
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxBytes)
        {
            return $"the name is longer than {MaxBytes} bytes in UTF-8 (about 85 Japanese characters)";
        }

        var stem = name.Split('.')[0].Trim();
        if (stem.Length == 0 && Path.GetExtension(name) == name)
        {
            return "the name has nothing before its extension";
        }

        if (DeviceNames.Contains(stem, StringComparer.OrdinalIgnoreCase))
        {
            return "the name is a device name Windows reserves";
        }

        normalized = name;
        return null;
    }
}
