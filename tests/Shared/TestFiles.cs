using System.IO.Compression;
using System.Text;

namespace AomoriReform.Tests;

/// <summary>Small files of each kind a report may or may not carry, built in memory.</summary>
public static class TestFiles
{
    public const string JapaneseName = "指標の根拠資料（令和7年度・上半期）.pdf";

    public static byte[] Pdf(string text = "evidence") => Encoding.ASCII.GetBytes(
        $"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n");

    public static byte[] Png() => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0];

    public static byte[] Jpeg() => [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 0x4A, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9];

    public static byte[] Gif() => [.. "GIF89a"u8, 1, 0, 1, 0, 0, 0, 0, 0x3B];

    public static byte[] Csv() => Encoding.UTF8.GetBytes("指標,目標,実績\nオンライン化手続数,350,318\n電子申請の利用率,45.5,38.25\n");

    public static byte[] ShiftJisCsv() => [0x8E, 0x77, 0x95, 0x57, 0x2C, 0x96, 0xDA, 0x95, 0x57, 0x0A, 0x82, 0xA0, 0x2C, 0x31, 0x0A];

    public static byte[] Utf16Text() => Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes("指標,目標\n")).ToArray();

    public static byte[] Executable() => [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xFF, 0xFF];

    public static byte[] LegacyExcel() => [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0, 0, 0, 0, 0, 0x3E, 0, 3, 0];

    public static byte[] Html() => Encoding.UTF8.GetBytes("<html><body><script>alert(document.cookie)</script></body></html>");

    public const string SpreadsheetMain = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml";
    public const string DocumentMain = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
    public const string PresentationMain = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml";
    public const string MacroWorkbook = "application/vnd.ms-excel.sheet.macroEnabled.main+xml";

    /// <summary>An Office Open XML package whose [Content_Types].xml names <paramref name="mainType"/> for its main part, [Content_Types].xml last as System.IO.Packaging writes it.</summary>
    public static byte[] Office(string mainType, string mainPart = "/xl/workbook.xml", bool macros = false, bool contentTypes = true)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Write(zip, "_rels/.rels", $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"{mainPart.TrimStart('/')}\"/></Relationships>");
            Write(zip, mainPart.TrimStart('/'), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><main>指標の集計</main>");
            if (macros)
            {
                Write(zip, "xl/vbaProject.bin", "Attribute VB_Name = \"Module1\"");
            }

            if (contentTypes)
            {
                Write(zip, "[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
                    + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
                    + $"<Override PartName=\"{mainPart}\" ContentType=\"{mainType}\"/></Types>");
            }
        }

        return buffer.ToArray();
    }

    public static byte[] Xlsx() => Office(SpreadsheetMain);

    public static byte[] Docx() => Office(DocumentMain, "/word/document.xml");

    public static byte[] Pptx() => Office(PresentationMain, "/ppt/presentation.xml");

    public static byte[] Xlsm() => Office(MacroWorkbook, macros: true);

    /// <summary>A plain ZIP of a text file, not an Office file.</summary>
    public static byte[] Zip() => Office(SpreadsheetMain, contentTypes: false);

    /// <summary>A PDF of <paramref name="size"/> bytes (the signature, then a pattern), for multi-chunk and limit tests.</summary>
    public static byte[] LargePdf(int size)
    {
        var bytes = new byte[size];
        "%PDF-1.7\n"u8.CopyTo(bytes);
        for (var i = 9; i < size; i++)
        {
            bytes[i] = (byte)(i * 7 % 251);
        }

        return bytes;
    }

    private static void Write(ZipArchive zip, string name, string content)
    {
        using var stream = zip.CreateEntry(name).Open();
        stream.Write(Encoding.UTF8.GetBytes(content));
    }
}

public static class TextExtensions
{
    /// <summary>The text without any whitespace: a PDF's text as read back breaks lines and spaces where its layout did.</summary>
    public static string RemoveWhitespace(this string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\s+", string.Empty);
}
