using System.Text;

namespace AomoriReform.Workflows.Files;

/// <summary>A CSV record with the line it starts on, its cells addressed by header name.</summary>
public sealed class CsvRecord(int line, IReadOnlyDictionary<string, int> columns, IReadOnlyList<string> cells)
{
    public int Line { get; } = line;
    public IReadOnlyList<string> Cells { get; } = cells;

    public string this[string column] =>
        columns.TryGetValue(column, out var index) && index < Cells.Count ? Cells[index].Trim() : string.Empty;
}

/// <summary>
/// RFC 4180 CSV as Excel writes it: comma separated, double quotes around cells that hold
/// commas, quotes or line breaks, CRLF or LF line ends. Blank lines are skipped.
/// </summary>
public static class CsvTable
{
    public static (IReadOnlyList<string> Header, IReadOnlyList<CsvRecord> Records) Parse(string text, string fileKind)
    {
        var rows = ReadRows(text, fileKind);
        if (rows.Count == 0)
        {
            throw new FileRejectedException(fileKind, [new FileError(1, "the file is empty; the first line must be the header")]);
        }

        var header = rows[0].Cells.Select(c => c.Trim()).ToList();
        var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.Count; i++)
        {
            columns.TryAdd(header[i], i);
        }

        var records = rows.Skip(1)
            .Where(r => r.Cells.Any(c => c.Trim().Length > 0))
            .Select(r => new CsvRecord(r.Line, columns, r.Cells))
            .ToList();
        return (header, records);
    }

    /// <summary>Quotes a cell when Excel would.</summary>
    public static string Escape(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;

    private static List<(int Line, List<string> Cells)> ReadRows(string text, string fileKind)
    {
        var rows = new List<(int, List<string>)>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var line = 1;
        var rowStart = 1;
        var quoted = false;
        var quoteOpenedOn = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        cell.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        line++;
                    }

                    cell.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when cell.Length == 0:
                    quoted = true;
                    quoteOpenedOn = line;
                    break;
                case ',':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    rows.Add((rowStart, cells));
                    cells = [];
                    line++;
                    rowStart = line;
                    break;
                default:
                    cell.Append(c);
                    break;
            }
        }

        if (quoted)
        {
            throw new FileRejectedException(fileKind, [new FileError(quoteOpenedOn, "a quoted cell is never closed")]);
        }

        if (cell.Length > 0 || cells.Count > 0)
        {
            cells.Add(cell.ToString());
            rows.Add((rowStart, cells));
        }

        return rows;
    }
}
