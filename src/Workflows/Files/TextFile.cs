using System.Text;

namespace AomoriReform.Workflows.Files;

/// <summary>Decodes an uploaded file as strict UTF-8, naming every line with broken bytes.</summary>
public static class TextFile
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Returns the text without a byte-order mark. Excel's "CSV UTF-8" adds one; plain "CSV"
    /// on a Japanese Windows writes Shift_JIS, which is refused with a hint.
    /// </summary>
    public static string Decode(ReadOnlySpan<byte> bytes, string fileKind)
    {
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new FileRejectedException(fileKind, BrokenLines(bytes));
        }
    }

    private static List<FileError> BrokenLines(ReadOnlySpan<byte> bytes)
    {
        var errors = new List<FileError>();
        var line = 1;
        while (!bytes.IsEmpty)
        {
            var end = bytes.IndexOf((byte)'\n');
            var current = end < 0 ? bytes : bytes[..end];
            try
            {
                StrictUtf8.GetString(current);
            }
            catch (DecoderFallbackException)
            {
                errors.Add(new FileError(line, "is not valid UTF-8; save the file as UTF-8 (in Excel: \"CSV UTF-8\"), not Shift_JIS"));
            }

            bytes = end < 0 ? [] : bytes[(end + 1)..];
            line++;
        }

        return errors;
    }
}
