using System.Text;
using System.Text.RegularExpressions;
using AomoriReform.Workflows.Records;
using UglyToad.PdfPig;

namespace AomoriReform.Tests.Records;

public sealed partial class DecisionRecordPdfTests
{
    private readonly DecisionRecordPdf pdf = new();

    [Fact]
    public void A_long_record_flows_over_pages_with_its_deputy_decisions_attachments_and_journal_head()
    {
        var record = SampleRecords.Long();
        var bytes = Render(record);
        File.WriteAllBytes(Path.Combine(AppContext.BaseDirectory, "decision-record-sample.pdf"), bytes);

        using var document = PdfDocument.Open(bytes);
        var pages = document.GetPages().ToList();
        var text = Compact(string.Concat(pages.Select(p => p.Text)));
        Assert.True(pages.Count > 1, $"{pages.Count} page(s)");
        Assert.Contains($"1 / {pages.Count}", pages[0].Text, StringComparison.Ordinal);
        Assert.Contains($"{pages.Count} / {pages.Count}", pages[^1].Text, StringComparison.Ordinal);
        Assert.Contains(Compact("進捗報告 決裁文書"), text, StringComparison.Ordinal);
        Assert.Contains("令和7年度", text, StringComparison.Ordinal);
        Assert.Contains(Compact(record.MeasureTitle), text, StringComparison.Ordinal);
        Assert.Contains("【代決】", text, StringComparison.Ordinal);
        Assert.Contains(Compact(SampleRecords.Deputy), text, StringComparison.Ordinal);
        Assert.Contains(Compact($"決裁権者 {SampleRecords.Principal}"), text, StringComparison.Ordinal);
        Assert.Contains("後閲済", text, StringComparison.Ordinal);
        Assert.Contains("後閲未了", text, StringComparison.Ordinal);
        Assert.Contains(Compact(SampleRecords.JapaneseFileName), text, StringComparison.Ordinal);
        Assert.All(record.Attachments, a => Assert.Contains(a.Sha256, text, StringComparison.Ordinal));
        Assert.Contains(record.Journal.HeadHash, text, StringComparison.Ordinal);
        Assert.Contains("令和7年9月1日", text, StringComparison.Ordinal);
        Assert.Contains(record.ReportId.ToString(), pages[^1].Text, StringComparison.Ordinal);
        // The last achievement paragraph and the last approval entry made it onto the pages.
        Assert.Contains(Compact("押印の廃止を決定した"), text, StringComparison.Ordinal);
        Assert.Contains("受理", text, StringComparison.Ordinal);
        AssertFontEmbedded(bytes);
    }

    [Fact]
    public void A_minimal_record_without_indicators_attachments_or_acceptance_renders_on_one_page()
    {
        var record = SampleRecords.Minimal();
        var bytes = Render(record);

        using var document = PdfDocument.Open(bytes);
        var page = Assert.Single(document.GetPages());
        var text = Compact(page.Text);
        Assert.Contains("1 / 1", page.Text, StringComparison.Ordinal);
        Assert.Contains("令和8年度", text, StringComparison.Ordinal);
        Assert.Contains("未受理", text, StringComparison.Ordinal);
        Assert.Contains("添付ファイルはありません。", text, StringComparison.Ordinal);
        Assert.Contains(record.Journal.HeadHash, text, StringComparison.Ordinal);
        AssertFontEmbedded(bytes);
    }

    [Fact]
    public void A_comment_longer_than_a_page_splits_its_row_and_rare_characters_do_not_stop_the_render()
    {
        var comment = string.Concat(Enumerable.Range(1, 60).Select(i => $"第{i}項：𠮷野の件は🙂別途協議とし、所管課において再確認のうえ回答すること。")) + "以上。";
        var record = SampleRecords.Minimal() with
        {
            Approvals = [.. SampleRecords.Long().Approvals.Take(2).Select(a => a with { Comment = comment })],
        };
        var bytes = Render(record);

        using var document = PdfDocument.Open(bytes);
        var pages = document.GetPages().ToList();
        Assert.True(pages.Count >= 3, $"{pages.Count} page(s)");
        var text = Compact(string.Concat(pages.Select(p => p.Text)));
        Assert.Contains("第60項", text, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(text, "以上。"));
    }

    [Fact]
    public void Records_render_side_by_side()
    {
        var sizes = new int[6];
        Parallel.For(0, sizes.Length, i => sizes[i] = Render(SampleRecords.Long()).Length);

        Assert.All(sizes, size => Assert.Equal(sizes[0], size));
    }

    [Fact]
    public void Japan_time_and_the_reiwa_era_are_printed_for_utc_instants()
    {
        Assert.Equal("令和7年5月29日 09:05", JapaneseDates.Instant(new DateTime(2025, 5, 29, 0, 5, 0, DateTimeKind.Utc)));
        Assert.Equal("令和元年5月1日", JapaneseDates.Date(new DateOnly(2019, 5, 1)));
        Assert.Equal("平成31年4月30日", JapaneseDates.Date(new DateOnly(2019, 4, 30)));
    }

    private byte[] Render(DecisionRecord record)
    {
        using var output = new MemoryStream();
        pdf.Render(record, output);
        return output.ToArray();
    }

    private static string Compact(string text) => Whitespace().Replace(text, string.Empty);

    private static void AssertFontEmbedded(byte[] bytes)
    {
        // PDFsharp writes object dictionaries uncompressed: the subset font (ABCDEF+Name) and its program are visible.
        var raw = Encoding.Latin1.GetString(bytes);
        Assert.Contains("/FontFile2", raw, StringComparison.Ordinal);
        Assert.Matches(SubsetFont(), raw);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"/BaseFont\s*/[A-Z]{6}\+")]
    private static partial Regex SubsetFont();
}
