using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace AomoriReform.Workflows.Records;

internal sealed record TextStyle(XFont Font, XColor Color, double LineHeight)
{
    public XBrush Brush { get; } = new XSolidBrush(Color);
}

internal enum Align
{
    Left,
    Center,
    Right,
}

internal sealed record CellPart(string? Text, TextStyle Style);

internal sealed record Cell(IReadOnlyList<CellPart> Parts, int Span = 1, Align Align = Align.Left, XColor? Fill = null)
{
    public Cell(string? text, TextStyle style, int span = 1, Align align = Align.Left, XColor? fill = null)
        : this([new CellPart(text, style)], span, align, fill)
    {
    }
}

/// <summary>A table row; with <c>KeepWithNext</c> it moves to a new page with the row after it rather than part from it.</summary>
internal sealed record Row(IReadOnlyList<Cell> Cells, XColor? Fill = null, bool KeepWithNext = false);

/// <summary>
/// Lays text and tables onto A4 pages top to bottom: wraps text within its width, starts a new
/// page when the next line or row does not fit, repeats a table's header row on each page and
/// splits a row taller than what is left of a page.
/// </summary>
internal sealed class PdfFlow(PdfDocument document, Action<XGraphics, PdfFlow> runningHeader) : IDisposable
{
    public const double MarginX = 48;
    public const double MarginTop = 44;
    public const double MarginBottom = 58;
    private const double CellPadX = 4;
    private const double CellPadY = 3;

    // Room the running header takes at the top of a continuation page, at most.
    private const double RunningHeaderRoom = 30;

    private static readonly XPen CellBorder = new(XColor.FromArgb(0x8C, 0x8C, 0x8C), 0.5);
    private readonly Dictionary<(XFont, string), double> widths = [];
    private XGraphics? graphics;
    private double contentTop;

    public PdfPage Page { get; private set; } = null!;
    public int PageNumber => document.PageCount;
    public double Y { get; set; }
    public double Left { get; } = MarginX;
    public double Width => Page.Width.Point - 2 * MarginX;
    public double Bottom => Page.Height.Point - MarginBottom;
    public XGraphics Graphics => graphics ?? throw new InvalidOperationException("No page yet.");
    public bool AtPageTop => Y <= contentTop + 0.01;

    public void NewPage()
    {
        graphics?.Dispose();
        Page = document.AddPage();
        Page.Size = PdfSharp.PageSize.A4;
        graphics = XGraphics.FromPdfPage(Page);
        Y = MarginTop;
        runningHeader(graphics, this);
        contentTop = Y;
    }

    public void Ensure(double height)
    {
        if (graphics is null || (Y + height > Bottom && !AtPageTop))
        {
            NewPage();
        }
    }

    private double Measure(string text, XFont font)
    {
        if (!widths.TryGetValue((font, text), out var width))
        {
            width = Graphics.MeasureString(text, font).Width;
            widths[(font, text)] = width;
        }

        return width;
    }

    public List<string> Wrap(string? text, TextStyle style, double width) =>
        LineBreaker.Wrap(text, width, piece => MeasureRun(piece, style.Font));

    /// <summary>Paragraphs flowing over pages, one line at a time, a little apart.</summary>
    public void Text(string? text, TextStyle style, double indent = 0, Align align = Align.Left, double paragraphGap = 0)
    {
        var paragraphs = (text ?? string.Empty).ReplaceLineEndings("\n").Split('\n');
        for (var i = 0; i < paragraphs.Length; i++)
        {
            if (i > 0)
            {
                Y += paragraphGap;
            }

            foreach (var line in Wrap(paragraphs[i], style, Width - indent))
            {
                Ensure(style.LineHeight);
                DrawLine(line, style, Left + indent, Y, Width - indent, align);
                Y += style.LineHeight;
            }
        }
    }

    public void DrawLine(string text, TextStyle style, double x, double top, double width, Align align)
    {
        if (text.Length == 0)
        {
            return;
        }

        var metrics = style.Font.Metrics;
        var ascent = metrics.Ascent * style.Font.Size / metrics.UnitsPerEm;
        var descent = metrics.Descent * style.Font.Size / metrics.UnitsPerEm;
        var baseline = top + (style.LineHeight - ascent - descent) / 2 + ascent;
        var left = align switch
        {
            Align.Right => x + width - MeasureRun(text, style.Font),
            Align.Center => x + (width - MeasureRun(text, style.Font)) / 2,
            _ => x,
        };
        Graphics.DrawString(text, style.Font, style.Brush, left, baseline);
    }

    public void Table(IReadOnlyList<double> columns, Row? header, IEnumerable<Row> rows)
    {
        var laidHeader = header is null ? null : Lay(columns, header);
        var headerHeight = laidHeader?.Height ?? 0;
        var headerOnPage = false;
        var fresh = Bottom - MarginTop - RunningHeaderRoom - headerHeight;
        var all = rows.Select(row => (Row: row, Laid: Lay(columns, row))).ToList();
        for (var i = 0; i < all.Count; i++)
        {
            var laid = all[i].Laid;
            var group = laid.Height;
            for (var j = i; j + 1 < all.Count && all[j].Row.KeepWithNext; j++)
            {
                group += all[j + 1].Laid.Height;
            }

            if (group > laid.Height && graphics is not null && !AtPageTop && group <= fresh && Y + (headerOnPage ? 0 : headerHeight) + group > Bottom)
            {
                NewPage();
                headerOnPage = false;
            }

            while (true)
            {
                var pending = headerOnPage ? 0 : headerHeight;
                if (graphics is not null && Y + pending + laid.Height <= Bottom)
                {
                    DrawHeaderOnce();
                    Draw(laid);
                    break;
                }

                var available = Bottom - Y - pending;
                if (graphics is null || (!AtPageTop && (laid.Height <= fresh || available < laid.FirstLineHeight + 2 * CellPadY)))
                {
                    NewPage();
                    headerOnPage = false;
                    continue;
                }

                var (first, rest) = laid.Split(available);
                DrawHeaderOnce();
                Draw(first);
                laid = rest;
                NewPage();
                headerOnPage = false;
            }
        }

        void DrawHeaderOnce()
        {
            if (!headerOnPage && laidHeader is not null)
            {
                Draw(laidHeader);
            }

            headerOnPage = true;
        }
    }

    /// <summary>The height of a row, to keep a heading with the start of its table.</summary>
    public double Height(IReadOnlyList<double> columns, Row row) => Lay(columns, row).Height;

    /// <summary>Draws the footer on every page, now that the page count is known.</summary>
    public void Finish(Action<XGraphics, int, int> footer)
    {
        graphics?.Dispose();
        graphics = null;
        for (var i = 0; i < document.PageCount; i++)
        {
            using var g = XGraphics.FromPdfPage(document.Pages[i], XGraphicsPdfPageOptions.Append);
            footer(g, i + 1, document.PageCount);
        }
    }

    public void Dispose() => graphics?.Dispose();

    private double MeasureRun(string text, XFont font)
    {
        var width = 0.0;
        var elements = System.Globalization.StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            width += Measure(elements.GetTextElement(), font);
        }

        return width;
    }

    private LaidRow Lay(IReadOnlyList<double> columns, Row row)
    {
        var cells = new List<LaidCell>();
        var column = 0;
        var x = Left;
        foreach (var cell in row.Cells)
        {
            var width = columns.Skip(column).Take(cell.Span).Sum();
            var lines = cell.Parts
                .SelectMany(p => Wrap(p.Text, p.Style, width - 2 * CellPadX).Select(line => (line, p.Style)))
                .ToList();
            cells.Add(new LaidCell(x, width, cell.Align, cell.Fill ?? row.Fill, lines));
            x += width;
            column += cell.Span;
        }

        return new LaidRow(cells);
    }

    private void Draw(LaidRow row)
    {
        var height = row.Height;
        foreach (var cell in row.Cells)
        {
            var box = new XRect(cell.X, Y, cell.Width, height);
            if (cell.Fill is { } fill)
            {
                Graphics.DrawRectangle(new XSolidBrush(fill), box);
            }

            var top = Y + CellPadY;
            foreach (var (line, style) in cell.Lines)
            {
                DrawLine(line, style, cell.X + CellPadX, top, cell.Width - 2 * CellPadX, cell.Align);
                top += style.LineHeight;
            }

            Graphics.DrawRectangle(CellBorder, box);
        }

        Y += height;
    }

    private sealed record LaidCell(double X, double Width, Align Align, XColor? Fill, List<(string Line, TextStyle Style)> Lines)
    {
        public double Height => Lines.Sum(l => l.Style.LineHeight) + 2 * CellPadY;
    }

    private sealed record LaidRow(List<LaidCell> Cells)
    {
        public double Height => Cells.Count == 0 ? 0 : Cells.Max(c => c.Height);

        public double FirstLineHeight => Cells.Max(c => c.Lines.Count > 0 ? c.Lines[0].Style.LineHeight : 0);

        /// <summary>The lines of each cell that fit in <paramref name="height"/>, and the rest.</summary>
        public (LaidRow Fitting, LaidRow Remaining) Split(double height)
        {
            var first = new List<LaidCell>();
            var rest = new List<LaidCell>();
            foreach (var cell in Cells)
            {
                var used = 2 * CellPadY;
                var count = 0;
                while (count < cell.Lines.Count && used + cell.Lines[count].Style.LineHeight <= height)
                {
                    used += cell.Lines[count].Style.LineHeight;
                    count++;
                }

                first.Add(cell with { Lines = cell.Lines.Take(count).ToList() });
                rest.Add(cell with { Lines = cell.Lines.Skip(count).ToList() });
            }

            return (new LaidRow(first), new LaidRow(rest));
        }
    }
}
