using AomoriReform.Workflows.Records;

namespace AomoriReform.Tests.Records;

public sealed class RecordTextTests
{
    // Every character one unit wide: the line width is its length.
    private static double Width(string text) => text.Length;

    [Fact]
    public void Japanese_text_breaks_between_characters_but_not_before_closing_punctuation()
    {
        var lines = LineBreaker.Wrap("あいうえお。かきくけこ", 5, Width);

        Assert.Equal(["あいうえ", "お。かきく", "けこ"], lines);
    }

    [Fact]
    public void Opening_brackets_stay_with_what_follows()
    {
        var lines = LineBreaker.Wrap("あいう「えお」", 4, Width);

        Assert.Equal(["あいう", "「えお」"], lines);
    }

    [Fact]
    public void Latin_words_break_at_spaces_and_a_hash_wider_than_the_line_between_characters()
    {
        Assert.Equal(["SHA-256", "0123456789", "abcdef"], LineBreaker.Wrap("SHA-256 0123456789abcdef", 10, Width));
        Assert.Equal(["first", "second"], LineBreaker.Wrap("first\nsecond", 20, Width));
    }

    [Fact]
    public void A_missing_font_names_the_debian_package_to_install()
    {
        var e = Assert.Throws<InvalidOperationException>(() => RecordFont.Locate("/nowhere/configured.ttf", ["/nowhere/ipaexg.ttf"]));

        Assert.Contains("fonts-ipaexfont-gothic", e.Message, StringComparison.Ordinal);
        Assert.Contains("/nowhere/configured.ttf", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ttcf", "font collection")]
    [InlineData("OTTO", "CFF")]
    public void A_font_pdfsharp_cannot_embed_is_refused_with_the_reason(string tag, string reason)
    {
        var file = Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.ttc");
        File.WriteAllBytes(file, [.. System.Text.Encoding.ASCII.GetBytes(tag), 0, 0, 0, 0]);
        try
        {
            var e = Assert.Throws<InvalidOperationException>(() => RecordFont.Locate(file, []));

            Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
