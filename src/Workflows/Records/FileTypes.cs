using System.IO.Compression;
using System.Text;
using System.Xml;

namespace AomoriReform.Workflows.Records;

/// <summary>A type of file a report may carry: the content type it is served with and the name endings it may have.</summary>
public sealed record FileType(string ContentType, string Label, IReadOnlyList<string> Extensions);

/// <summary>
/// What a file is, told by its content, never by its name or the type the client claimed: PDF,
/// PNG, JPEG and GIF by their signatures; Excel, Word and PowerPoint (Office Open XML) as a ZIP
/// whose <c>[Content_Types].xml</c> names the workbook, document or presentation part, macros
/// refused; CSV and plain text as UTF-8 without NUL bytes. The legacy Office formats (.xls, .doc,
/// .ppt: OLE2 compound files) are refused: they carry macros unseen and cannot be told apart
/// without parsing them; Office saves the current formats. The name's ending must then agree with
/// the content, so a text file cannot be saved as a script (.vbs) or a page (.html).
/// </summary>
public static class FileTypes
{
    public static readonly FileType Pdf = new("application/pdf", "PDF", [".pdf"]);
    public static readonly FileType Png = new("image/png", "PNG", [".png"]);
    public static readonly FileType Jpeg = new("image/jpeg", "JPEG", [".jpg", ".jpeg"]);
    public static readonly FileType Gif = new("image/gif", "GIF", [".gif"]);
    public static readonly FileType Xlsx = new("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel", [".xlsx"]);
    public static readonly FileType Docx = new("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word", [".docx"]);
    public static readonly FileType Pptx = new("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint", [".pptx"]);
    public static readonly FileType Csv = new("text/csv; charset=utf-8", "CSV", [".csv"]);
    public static readonly FileType Text = new("text/plain; charset=utf-8", "Text", [".txt"]);

    /// <summary>Every type a report may carry.</summary>
    public static readonly IReadOnlyList<FileType> All = [Pdf, Png, Jpeg, Gif, Xlsx, Docx, Pptx, Csv, Text];

    /// <summary>The name endings the upload form offers (<c>accept</c>).</summary>
    public static string Accept => string.Join(',', All.SelectMany(t => t.Extensions));

    /// <summary>What the first bytes say: one of the signatures, a ZIP to look into, UTF-8 text, or nothing allowed.</summary>
    public enum Signature
    {
        None,
        Pdf,
        Png,
        Jpeg,
        Gif,
        Zip,
        LegacyOffice,
        Text,
    }

    public static Signature Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith("%PDF-"u8))
        {
            return Signature.Pdf;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Signature.Png;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Signature.Jpeg;
        }

        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
        {
            return Signature.Gif;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0x50, 0x4B, 0x03, 0x04]))
        {
            return Signature.Zip;
        }

        if (head.StartsWith((ReadOnlySpan<byte>)[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]))
        {
            return Signature.LegacyOffice;
        }

        return new TextCheck().Accepts(head, final: false) ? Signature.Text : Signature.None;
    }

    /// <summary>The type of a signature that needs no further look (not a ZIP, not text).</summary>
    public static FileType? Of(Signature signature) => signature switch
    {
        Signature.Pdf => Pdf,
        Signature.Png => Png,
        Signature.Jpeg => Jpeg,
        Signature.Gif => Gif,
        _ => null,
    };

    /// <summary>The name's ending, lower case, with its dot ("" when none).</summary>
    public static string Extension(string fileName) => Path.GetExtension(fileName).ToLowerInvariant();

    /// <summary>
    /// UTF-8 text without NUL, checked chunk by chunk (a character split across two chunks is fine).
    /// Call <see cref="Accepts"/> for each chunk in order, the last one with <c>final: true</c>.
    /// </summary>
    public sealed class TextCheck
    {
        private readonly Decoder decoder = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetDecoder();
        private bool failed;

        public bool Accepts(ReadOnlySpan<byte> chunk, bool final)
        {
            if (failed || chunk.Contains((byte)0))
            {
                failed = true;
                return false;
            }

            try
            {
                decoder.GetCharCount(chunk, flush: final);
                return true;
            }
            catch (DecoderFallbackException)
            {
                failed = true;
                return false;
            }
        }
    }

    /// <summary>Why a ZIP is not an Office file we take.</summary>
    public enum OfficeProblem
    {
        None,
        NotOffice,
        Macros,
    }

    private const string SpreadsheetMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
    private const string DocumentMain = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
    private const string PresentationMain = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml";

    /// <summary>
    /// Looks into a ZIP (seekable: only its central directory and its <c>[Content_Types].xml</c>
    /// are read): an Excel workbook, Word document or PowerPoint presentation, or why not.
    /// </summary>
    public static async Task<(FileType? Type, OfficeProblem Problem)> OfficeAsync(Stream zip, CancellationToken cancellationToken)
    {
        try
        {
            await using var archive = await ZipArchive.CreateAsync(zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken);
            if (archive.Entries.Count > 20_000)
            {
                return (null, OfficeProblem.NotOffice);
            }

            if (archive.Entries.Any(e => e.FullName.EndsWith("vbaProject.bin", StringComparison.OrdinalIgnoreCase)))
            {
                return (null, OfficeProblem.Macros);
            }

            var types = archive.Entries.FirstOrDefault(e => e.FullName == "[Content_Types].xml");
            if (types is null || types.Length > 1 << 20)
            {
                return (null, OfficeProblem.NotOffice);
            }

            var declared = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            await using (var part = await types.OpenAsync(cancellationToken))
            using (var reader = XmlReader.Create(new LimitedStream(part, 1 << 20), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, Async = true }))
            {
                while (await reader.ReadAsync())
                {
                    if (reader.NodeType == XmlNodeType.Element && reader.GetAttribute("ContentType") is { } contentType)
                    {
                        declared.Add(contentType.Trim());
                    }
                }
            }

            if (declared.Any(t => t.Contains("macroEnabled", StringComparison.OrdinalIgnoreCase) || t.Contains("vbaProject", StringComparison.OrdinalIgnoreCase)))
            {
                return (null, OfficeProblem.Macros);
            }

            FileType? type = declared.Contains(SpreadsheetMain) ? Xlsx : declared.Contains(DocumentMain) ? Docx : declared.Contains(PresentationMain) ? Pptx : null;
            return (type, type is null ? OfficeProblem.NotOffice : OfficeProblem.None);
        }
        catch (Exception e) when (e is InvalidDataException or XmlException or IOException or NotSupportedException)
        {
            return (null, OfficeProblem.NotOffice);
        }
    }

    /// <summary>Reads at most a limit from a stream (a part that inflates beyond it is cut short, and fails to parse).</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, (int)Math.Min(count, limit - read));
            read += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - read)], cancellationToken);
            read += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
