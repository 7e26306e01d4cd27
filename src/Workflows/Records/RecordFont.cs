using System.Buffers.Binary;
using PdfSharp.Fonts;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// The one Japanese font of the decision record, embedded as a subset. PDFsharp 6.2 embeds only
/// TrueType (glyf) outlines and reads no font collections, so Debian's Noto CJK (.ttc with CFF
/// outlines) will not do; IPAex Gothic (fonts-ipaexfont-gothic) is the default.
/// </summary>
public sealed class RecordFont : IFontResolver
{
    public const string FamilyName = "RecordGothic";
    public const string InstallHint = "apt-get install -y fonts-ipaexfont-gothic";

    /// <summary>Debian's TrueType-outline Japanese fonts, most preferred first.</summary>
    public static readonly IReadOnlyList<string> DebianFiles =
    [
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf",
        "/usr/share/fonts/truetype/vlgothic/VL-PGothic-Regular.ttf",
    ];

    private static readonly Lock Gate = new();
    private static RecordFont? installed;
    private readonly byte[] bytes;

    private RecordFont(string file)
    {
        File = file;
        bytes = System.IO.File.ReadAllBytes(file);
    }

    public string File { get; }

    /// <summary>
    /// Makes the font PDFsharp's process-wide resolver. PDFsharp allows one resolver per process,
    /// so the first call's file wins.
    /// </summary>
    public static RecordFont Install(string? configuredFile)
    {
        lock (Gate)
        {
            if (installed is not null)
            {
                return installed;
            }

            if (GlobalFontSettings.FontResolver is { } other)
            {
                throw new InvalidOperationException($"Another PDFsharp font resolver ({other.GetType().Name}) is installed; the decision record needs its own.");
            }

            var font = new RecordFont(Locate(configuredFile, DebianFiles));
            GlobalFontSettings.FontResolver = font;
            installed = font;
            return font;
        }
    }

    /// <summary>The configured file if it exists, else the first Debian file that does.</summary>
    public static string Locate(string? configuredFile, IEnumerable<string> candidates)
    {
        var looked = new List<string>();
        foreach (var file in string.IsNullOrWhiteSpace(configuredFile) ? candidates : candidates.Prepend(configuredFile))
        {
            if (System.IO.File.Exists(file))
            {
                CheckOutlines(file);
                return file;
            }

            looked.Add(file);
        }

        throw new InvalidOperationException(
            $"No Japanese font for the decision record PDF: install Debian's fonts-ipaexfont-gothic ({InstallHint}) " +
            $"or set Records:PdfFontFile to a TrueType-outline Japanese .ttf. Looked at: {string.Join(", ", looked)}.");
    }

    private static void CheckOutlines(string file)
    {
        Span<byte> tag = stackalloc byte[4];
        using (var stream = System.IO.File.OpenRead(file))
        {
            stream.ReadExactly(tag);
        }

        var problem = BinaryPrimitives.ReadUInt32BigEndian(tag) switch
        {
            0x74746366 => "is a font collection (ttcf)",
            0x4F54544F => "has CFF (PostScript) outlines",
            0x00010000 or 0x74727565 => null,
            _ => "is not a TrueType font",
        };
        if (problem is not null)
        {
            throw new InvalidOperationException(
                $"The font {file} {problem}, which PDFsharp 6.2 cannot embed: use a TrueType-outline Japanese .ttf such as {DebianFiles[0]} ({InstallHint}).");
        }
    }

    public FontResolverInfo ResolveTypeface(string familyName, bool bold, bool italic) => new(FamilyName, bold, italic);

    public byte[] GetFont(string faceName) => bytes;
}
