using System.Globalization;
using System.Text;

namespace AomoriReform.Workflows.Records;

/// <summary>
/// Breaks Japanese text into lines of a given width: between any two Japanese characters, at
/// spaces in Latin text, never before closing brackets and punctuation or after opening ones
/// (禁則処理), and inside a word only when the word alone is wider than the line (hashes, URLs).
/// </summary>
internal static class LineBreaker
{
    private const string NoLineStart = "、。，．,.・：；:;？！?!ー‐–—～…‥）)]｝}〕〉》」』】〙〗'\"’”ゝゞヽヾ々〻ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ％%";
    private const string NoLineEnd = "（([｛{〔〈《「『【〘〖‘“";

    /// <summary>The lines of <paramref name="text"/>; <paramref name="measure"/> gives a piece of text's width in points.</summary>
    public static List<string> Wrap(string? text, double width, Func<string, double> measure)
    {
        var lines = new List<string>();
        foreach (var paragraph in (text ?? string.Empty).ReplaceLineEndings("\n").Split('\n'))
        {
            WrapParagraph(paragraph, width, measure, lines);
        }

        return lines;
    }

    private static void WrapParagraph(string paragraph, double width, Func<string, double> measure, List<string> lines)
    {
        var line = new StringBuilder();
        var lineWidth = 0.0;
        foreach (var unit in Units(paragraph))
        {
            var unitWidth = measure(unit);
            if (unit == " ")
            {
                if (line.Length > 0)
                {
                    line.Append(unit);
                    lineWidth += unitWidth;
                }

                continue;
            }

            if (lineWidth + unitWidth <= width)
            {
                line.Append(unit);
                lineWidth += unitWidth;
                continue;
            }

            if (line.ToString().TrimEnd() is { Length: > 0 } full)
            {
                lines.Add(full);
            }

            line.Clear();
            lineWidth = 0;
            if (unitWidth <= width)
            {
                line.Append(unit);
                lineWidth = unitWidth;
                continue;
            }

            // A word wider than the line: break it between characters.
            foreach (var element in Elements(unit))
            {
                var elementWidth = measure(element);
                if (line.Length > 0 && lineWidth + elementWidth > width)
                {
                    lines.Add(line.ToString());
                    line.Clear();
                    lineWidth = 0;
                }

                line.Append(element);
                lineWidth += elementWidth;
            }
        }

        lines.Add(line.ToString().TrimEnd());
    }

    /// <summary>The pieces a line may break between: single Japanese characters, Latin words, spaces; brackets and punctuation glued on.</summary>
    internal static List<string> Units(string paragraph)
    {
        var units = new List<string>();
        var word = new StringBuilder();
        foreach (var element in Elements(paragraph))
        {
            if (element.Length == 1 && element[0] is ' ' or '\t')
            {
                Flush();
                units.Add(" ");
            }
            else if (element.Length == 1 && element[0] is > ' ' and < '\u007F' && !NoLineEnd.Contains(element[0], StringComparison.Ordinal))
            {
                word.Append(element);
            }
            else
            {
                Flush();
                units.Add(element);
            }
        }

        Flush();

        var glued = new List<string>();
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            if (glued.Count > 0 && glued[^1] != " " && unit != " " && NoLineStart.Contains(unit[0], StringComparison.Ordinal))
            {
                glued[^1] += unit;
            }
            else if (glued.Count > 0 && glued[^1] != " " && unit != " " && NoLineEnd.Contains(glued[^1][^1], StringComparison.Ordinal))
            {
                glued[^1] += unit;
            }
            else
            {
                glued.Add(unit);
            }
        }

        return glued;

        void Flush()
        {
            if (word.Length > 0)
            {
                units.Add(word.ToString());
                word.Clear();
            }
        }
    }

    private static IEnumerable<string> Elements(string text)
    {
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            yield return elements.GetTextElement();
        }
    }
}
