using System.Text;

namespace AomoriReform.Workflows.Files;

/// <summary>A CSV record with the line it starts on, its cells addressed by header name.</summary>
public sealed class CsvRecord(int line, IReadOnlyDictionary<string, int> columns, IReadOnlyList<string> cells)
{
    public int Line { get; } = line;
    public IReadOnlyList<string> Cells { get; } = cells;

    public string this[string column] =>
        columns.TryGetValue(column, out var index) && index < Cells.Count ? Cells[index].Trim() : string.Empty;

    /// <summary>The cell as our own export wrote it back: one leading <c>'</c> from <see cref="CsvTable.Cell"/> removed.</summary>
    public string Text(string column) => CsvTable.Unneutralise(this[column]);
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

    /// <summary>
    /// A cell for an exported CSV: neutralised against formula injection, then quoted when Excel
    /// would. Cells starting with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or CR (which Excel
    /// and LibreOffice run as formulas) and cells starting with <c>'</c> get one leading
    /// <c>'</c> (OWASP's advice); a plain number such as <c>-10</c> or <c>+2.5</c> stays as it
    /// is, so numeric columns stay numbers. <see cref="Unneutralise"/> undoes it on import.
    /// </summary>
    public static string Cell(string cell) => Escape(Neutralise(cell));

    private static readonly System.Buffers.SearchValues<char> FormulaStarts = System.Buffers.SearchValues.Create("=+-@\t\r'");

    public static string Neutralise(string cell) =>
        cell.Length > 0 && FormulaStarts.Contains(cell[0]) && !IsPlainNumber(cell) ? "'" + cell : cell;

    /// <summary>Removes the one leading <c>'</c> that <see cref="Neutralise"/> adds.</summary>
    public static string Unneutralise(string cell) => cell.StartsWith('\'') ? cell[1..] : cell;

    /// <summary>An optional sign, digits and at most one decimal point: nothing a spreadsheet could run.</summary>
    private static bool IsPlainNumber(string cell)
    {
        var digits = cell.AsSpan(cell[0] is '-' or '+' ? 1 : 0);
        var point = digits.IndexOf('.');
        return digits.Length > 0 && point != 0 && point != digits.Length - 1
            && (point < 0 ? digits : digits[..point]).ContainsOnlyDigits() && (point < 0 || digits[(point + 1)..].ContainsOnlyDigits());
    }

    /// <summary>Quotes a cell when Excel would.</summary>
    public static string Escape(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;

    private static bool ContainsOnlyDigits(this ReadOnlySpan<char> span) => !span.IsEmpty && !span.ContainsAnyExceptInRange('0', '9');

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
