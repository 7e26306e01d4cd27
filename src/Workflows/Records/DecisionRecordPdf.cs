using System.Globalization;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// Prints a <see cref="DecisionRecord"/> as an A4 PDF in Japanese: header, content, indicators,
/// the approval record with 代決 and 後閲, corrections, attachments with their SHA-256 and the
/// journal head, with "n / N" and the report id in every page's footer.
/// </summary>
public sealed class DecisionRecordPdf(string? fontFile = null)
{
    private static readonly XColor Ink = XColor.FromArgb(0x1A, 0x1A, 0x1A);
    private static readonly XColor Muted = XColor.FromArgb(0x55, 0x55, 0x55);
    private static readonly XColor Accent = XColor.FromArgb(0x1F, 0x3A, 0x5F);
    private static readonly XColor Mark = XColor.FromArgb(0xA8, 0x10, 0x1C);
    private static readonly XColor LabelFill = XColor.FromArgb(0xEC, 0xEF, 0xF3);
    private static readonly XColor DeputyFill = XColor.FromArgb(0xFF, 0xF6, 0xE5);
    private static readonly XPen Rule = new(XColor.FromArgb(0x33, 0x33, 0x33), 0.6);
    private static readonly XPen FaintRule = new(XColor.FromArgb(0xA0, 0xA0, 0xA0), 0.5);

    private const string Missing = "—";

    public void Render(DecisionRecord record, Stream output)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(output);
        RecordFont.Install(fontFile);

        var fiscalYear = new Calendar.FiscalYear(record.FiscalYear).ReiwaLabel;
        using var document = new PdfDocument();
        document.Info.Title = $"進捗報告 決裁文書 {record.MeasureCode} {record.MeasureTitle}（{fiscalYear}）";
        document.Info.Subject = record.ReportId.ToString();
        document.Info.Creator = "AomoriReform";
        document.Info.CreationDate = DateTime.SpecifyKind(record.GeneratedAt, DateTimeKind.Utc);
        document.Language = "ja-JP";
        document.Options.CompressContentStreams = true;

        var s = new Styles();
        using (var flow = new PdfFlow(document, (g, f) => RunningHeader(g, f, record, fiscalYear, s)))
        {
            flow.NewPage();
            Title(flow, fiscalYear, s);
            Header(flow, record, fiscalYear, s);
            Content(flow, record, s);
            Indicators(flow, record, s);
            Approvals(flow, record, s);
            Corrections(flow, record, s);
            Attachments(flow, record, s);
            Journal(flow, record, s);
            flow.Finish((g, page, count) => Footer(g, record, page, count, s));
        }

        document.Save(output, closeStream: false);
    }

    private static void Title(PdfFlow flow, string fiscalYear, Styles s)
    {
        flow.Y += 6;
        flow.Text("進捗報告 決裁文書", s.Title, align: Align.Center);
        flow.Text(fiscalYear, s.Subtitle, align: Align.Center);
        flow.Y += 4;
        flow.Graphics.DrawLine(Rule, flow.Left, flow.Y, flow.Left + flow.Width, flow.Y);
        flow.Graphics.DrawLine(Rule, flow.Left, flow.Y + 2, flow.Left + flow.Width, flow.Y + 2);
        flow.Y += 12;
    }

    private static void Header(PdfFlow flow, DecisionRecord r, string fiscalYear, Styles s)
    {
        var label = 66.0;
        var value = (flow.Width - 2 * label) / 2;
        Cell Label(string text) => new(text, s.CellBold, fill: LabelFill);
        Cell Value(string? text, int span = 1) => new(string.IsNullOrWhiteSpace(text) ? Missing : text, s.Cell, span);
        flow.Table([label, value, label, value], null,
        [
            new Row([Label("取組番号"), Value(r.MeasureCode), Label("年度"), Value(fiscalYear)]),
            new Row([Label("取組名"), Value(r.MeasureTitle, 3)]),
            new Row([Label("部局"), Value(r.DepartmentName), Label("所属"), Value(r.SectionName)]),
            new Row([Label("決裁ルート"), Value(r.RouteTitle), Label("状態"), Value(r.Status)]),
            new Row([Label("受理日時"), Value(r.AcceptedAt is { } at ? JapaneseDates.Instant(at) : "未受理"), Label("保存期間"), Value(r.RetentionClass)]),
            new Row([Label("報告ID"), new Cell(r.ReportId.ToString(), s.Small), Label("版数"), Value(Number(r.Version))]),
            new Row([Label("出力日時"), Value(JapaneseDates.Instant(r.GeneratedAt), 3)]),
        ]);
    }

    private static void Content(PdfFlow flow, DecisionRecord r, Styles s)
    {
        Section(flow, "1", "取組の状況", s);
        Subheading(flow, "進捗区分", s);
        flow.Text(r.Progress ?? "未入力", s.Body, indent: 12);
        Subheading(flow, "取組実績", s);
        flow.Text(Blank(r.Achievements) ?? "（記載なし）", s.Body, indent: 12, paragraphGap: 4);
        Subheading(flow, "今後の取組", s);
        flow.Text(Blank(r.NextSteps) ?? "（記載なし）", s.Body, indent: 12, paragraphGap: 4);
    }

    private static void Indicators(PdfFlow flow, DecisionRecord r, Styles s)
    {
        double[] columns = [56, flow.Width - 56 - 3 * 72, 72, 72, 72];
        TableSection(flow, "2", "指標の状況", "指標の設定はありません。", s, columns, HeaderRow(s, ("指標番号", Align.Left), ("指標名", Align.Left), ("目標値", Align.Right), ("実績値", Align.Right), ("単位", Align.Left)),
            r.Indicators.Select(i => new Row(
            [
                new Cell(i.Code, s.Cell),
                new Cell(i.Title, s.Cell),
                new Cell(Number(i.Target), s.Cell, align: Align.Right),
                new Cell(Number(i.Actual), s.Cell, align: Align.Right),
                new Cell(i.Unit, s.Cell),
            ])));
    }

    private static void Approvals(PdfFlow flow, DecisionRecord r, Styles s)
    {
        double[] fixedColumns = [26, 62, 46, 100, 78, 84];
        double[] columns = [.. fixedColumns[..5], flow.Width - fixedColumns.Sum(), fixedColumns[5]];
        TableSection(flow, "3", "決裁経過", "決裁の記録はありません。", s, columns, HeaderRow(s, ("No.", Align.Center), ("段階", Align.Left), ("処理", Align.Left), ("処理者", Align.Left), ("日時", Align.Left), ("意見", Align.Left), ("後閲", Align.Left)),
            r.Approvals.Select(a =>
            {
                var at = JapaneseDates.ToJapan(a.At);
                List<CellPart> action = [new(a.Action, s.Cell)];
                List<CellPart> actor = [new(a.ActorName, s.Cell)];
                if (a.ActorTitle is { Length: > 0 } title)
                {
                    actor.Add(new(title, s.Small));
                }

                List<CellPart> review = [];
                if (a.IsDeputyDecision)
                {
                    action.Add(new("【代決】", s.CellMark));
                    actor.Add(new($"決裁権者 {a.OnBehalfOf}", s.CellBold));
                    if (a.PostReview is { } seen)
                    {
                        review.Add(new("後閲済", s.CellBold));
                        review.Add(new(JapaneseDates.Instant(seen.SeenAt), s.Small));
                        review.Add(new(seen.SeenBy, s.Small));
                        if (Blank(seen.Comment) is { } comment)
                        {
                            review.Add(new(comment, s.Cell));
                        }
                    }
                    else
                    {
                        review.Add(new("後閲未了", s.CellMark));
                    }
                }

                return new Row(
                [
                    new Cell(Number(a.Seq), s.Cell, align: Align.Center),
                    new Cell(a.StepTitle, s.Cell),
                    new Cell(action),
                    new Cell(actor),
                    new Cell([new(JapaneseDates.Date(DateOnly.FromDateTime(at)), s.Cell), new(JapaneseDates.Time(at), s.Cell)]),
                    new Cell(Blank(a.Comment), s.Cell),
                    new Cell(review),
                ], a.IsDeputyDecision ? DeputyFill : null);
            }));
        if (r.Approvals.Any(a => a.IsDeputyDecision))
        {
            flow.Y += 3;
            flow.Text("【代決】は決裁権者に代わり代決者が決裁したもの。後閲欄は決裁権者による事後の確認（後閲）の状況を示す。", s.Note);
        }
    }

    private static void Corrections(PdfFlow flow, DecisionRecord r, Styles s)
    {
        double[] columns = [26, 100, 104, flow.Width - 230];
        TableSection(flow, "4", "受理後の修正（軽微な修正）", "受理後の修正はありません。", s, columns, HeaderRow(s, ("No.", Align.Center), ("日時", Align.Left), ("記入者", Align.Left), ("内容", Align.Left)),
            r.Corrections.Select((c, i) => new Row(
            [
                new Cell(Number(i + 1), s.Cell, align: Align.Center),
                new Cell(JapaneseDates.Instant(c.At), s.Cell),
                new Cell(c.Author, s.Cell),
                new Cell(c.Text, s.Cell),
            ])));
    }

    private static void Attachments(PdfFlow flow, DecisionRecord r, Styles s)
    {
        double[] fixedColumns = [26, 30, 78, 90, 80];
        double[] columns = [fixedColumns[0], flow.Width - fixedColumns.Sum(), .. fixedColumns[1..]];
        TableSection(flow, "5", "添付ファイル", "添付ファイルはありません。", s, columns, HeaderRow(s, ("No.", Align.Center), ("ファイル名", Align.Left), ("版", Align.Center), ("サイズ", Align.Right), ("登録者", Align.Left), ("登録日時", Align.Left)),
            r.Attachments.SelectMany((a, i) => new[]
            {
                new Row(
                [
                    new Cell(Number(i + 1), s.Cell, align: Align.Center),
                    new Cell(a.FileName, s.Cell),
                    new Cell(Number(a.Version), s.Cell, align: Align.Center),
                    new Cell([new(Size(a.SizeBytes), s.Cell), new($"{a.SizeBytes.ToString("N0", CultureInfo.InvariantCulture)} バイト", s.Small)], Align: Align.Right),
                    new Cell(a.UploadedBy, s.Cell),
                    new Cell(JapaneseDates.Instant(a.UploadedAt), s.Cell),
                ], KeepWithNext: true),
                new Row([new Cell(null, s.Cell), new Cell($"SHA-256  {a.Sha256}", s.Hash, span: 5)]),
            }));
    }

    private static void Journal(PdfFlow flow, DecisionRecord r, Styles s)
    {
        var label = 90.0;
        Cell Label(string text) => new(text, s.CellBold, fill: LabelFill);
        TableSection(flow, "6", "記録の検証情報", string.Empty, s, [label, flow.Width - label], null,
        [
            new Row([Label("記録件数"), new Cell($"{Number(r.Journal.EntryCount)} 件", s.Cell)]),
            new Row([Label("最終ハッシュ"), new Cell(r.Journal.HeadHash, s.Hash)]),
            new Row([Label("署名鍵ID"), new Cell(r.Journal.KeyId, s.Cell)]),
        ]);
        flow.Y += 3;
        flow.Text("本文書は決裁の電子記録（ジャーナル）から出力したものです。記録件数と最終ハッシュを電子記録と照合することで、出力時点から記録が変更されていないことを確認できます。", s.Note);
    }

    /// <summary>A numbered section of one table, or of <paramref name="none"/> when it has no rows.</summary>
    private static void TableSection(PdfFlow flow, string number, string title, string none, Styles s, double[] columns, Row? header, IEnumerable<Row> rows)
    {
        var all = rows.ToList();
        if (all.Count == 0)
        {
            Section(flow, number, title, s);
            flow.Text(none, s.Body, indent: 12);
            return;
        }

        // The heading stays with its table's header and first row.
        Section(flow, number, title, s, (header is null ? 0 : flow.Height(columns, header)) + flow.Height(columns, all[0]));
        flow.Table(columns, header, all);
    }

    private static void Section(PdfFlow flow, string number, string title, Styles s, double following = 48)
    {
        flow.Y += 10;
        flow.Ensure(s.Heading.LineHeight + 16 + Math.Min(following, 240));
        var top = flow.Y;
        flow.Graphics.DrawRectangle(new XSolidBrush(Accent), flow.Left, top + 3, 3, s.Heading.LineHeight - 6);
        flow.DrawLine($"{number}　{title}", s.Heading, flow.Left + 9, top, flow.Width - 9, Align.Left);
        flow.Y += s.Heading.LineHeight + 1;
        flow.Graphics.DrawLine(FaintRule, flow.Left, flow.Y, flow.Left + flow.Width, flow.Y);
        flow.Y += 5;
    }

    private static void Subheading(PdfFlow flow, string title, Styles s)
    {
        flow.Y += 2;
        flow.Ensure(s.BodyBold.LineHeight + s.Body.LineHeight * 2);
        flow.Text($"■ {title}", s.BodyBold);
    }

    private static Row HeaderRow(Styles s, params (string Text, Align Align)[] titles) =>
        new([.. titles.Select(t => new Cell(t.Text, s.CellBold, align: t.Align))], LabelFill);

    private static void RunningHeader(XGraphics g, PdfFlow flow, DecisionRecord r, string fiscalYear, Styles s)
    {
        if (flow.PageNumber == 1)
        {
            return;
        }

        var text = $"進捗報告 決裁文書（{fiscalYear}）　{r.MeasureCode} {r.MeasureTitle}";
        var line = flow.Wrap(text, s.Small, flow.Width) is [var only] ? only : flow.Wrap(text, s.Small, flow.Width - 12)[0] + "…";
        flow.DrawLine(line, s.Small, flow.Left, flow.Y, flow.Width, Align.Left);
        flow.Y += s.Small.LineHeight + 2;
        g.DrawLine(FaintRule, flow.Left, flow.Y, flow.Left + flow.Width, flow.Y);
        flow.Y += 10;
    }

    private static void Footer(XGraphics g, DecisionRecord r, int page, int count, Styles s)
    {
        var width = g.PageSize.Width - 2 * PdfFlow.MarginX;
        var top = g.PageSize.Height - PdfFlow.MarginBottom + 18;
        g.DrawLine(FaintRule, PdfFlow.MarginX, top - 4, PdfFlow.MarginX + width, top - 4);
        Draw($"報告ID {r.ReportId}", XStringFormats.TopLeft, PdfFlow.MarginX);
        Draw($"{page.ToString(CultureInfo.InvariantCulture)} / {count.ToString(CultureInfo.InvariantCulture)}", XStringFormats.TopCenter, PdfFlow.MarginX + width / 2);
        Draw($"出力 {JapaneseDates.Instant(r.GeneratedAt)}", XStringFormats.TopRight, PdfFlow.MarginX + width);

        void Draw(string text, XStringFormat format, double x) => g.DrawString(text, s.Footer, s.FooterBrush, x, top, format);
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Number(decimal? value) => value?.ToString("#,##0.####", CultureInfo.InvariantCulture) ?? Missing;

    private static string Number(int value) => value.ToString("#,##0", CultureInfo.InvariantCulture);

    private static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes.ToString(CultureInfo.InvariantCulture)} B",
        < 1024 * 1024 => $"{(bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture)} KB",
        _ => $"{(bytes / 1024.0 / 1024.0).ToString("#,##0.#", CultureInfo.InvariantCulture)} MB",
    };

    private sealed class Styles
    {
        public TextStyle Title { get; } = Style(18, Ink, 28, bold: true);
        public TextStyle Subtitle { get; } = Style(12, Ink, 20);
        public TextStyle Heading { get; } = Style(12, Accent, 20, bold: true);
        public TextStyle Body { get; } = Style(10, Ink, 17);
        public TextStyle BodyBold { get; } = Style(10, Ink, 17, bold: true);
        public TextStyle Note { get; } = Style(7.5, Muted, 11.5);
        public TextStyle Cell { get; } = Style(8.5, Ink, 12.5);
        public TextStyle CellBold { get; } = Style(8.5, Ink, 12.5, bold: true);
        public TextStyle CellMark { get; } = Style(8.5, Mark, 12.5, bold: true);
        public TextStyle Small { get; } = Style(7.5, Muted, 11);
        public TextStyle Hash { get; } = Style(7.5, Ink, 11);
        public XFont Footer { get; } = Font(7.5, bold: false);
        public XBrush FooterBrush { get; } = new XSolidBrush(Muted);

        private static TextStyle Style(double size, XColor color, double lineHeight, bool bold = false) =>
            new(Font(size, bold), color, lineHeight);

        // Unicode encoding throughout: one embedded subset rather than a second WinAnsi one for ASCII-only text.
        private static XFont Font(double size, bool bold) =>
            new(RecordFont.FamilyName, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular, new XPdfFontOptions(PdfFontEncoding.Unicode, PdfFontEmbedding.TryComputeSubset));
    }
}
