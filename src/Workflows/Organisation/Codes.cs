using System.Text.RegularExpressions;

namespace AomoriReform.Workflows.Organisation;

/// <summary>Rules for the stable identifiers and free text that files bring in.</summary>
public static partial class Codes
{
    public const int MaxNameLength = 100;

    /// <summary>Department and section codes: lowercase ASCII slugs such as <c>gyosei-keiei</c>.</summary>
    public static bool IsSlug(string code) => SlugPattern().IsMatch(code);

    public static bool IsEmail(string text) => EmailPattern().IsMatch(text);

    /// <summary>Text a person typed: no control characters (tabs and line breaks included).</summary>
    public static bool IsCleanText(string text) => !text.Any(char.IsControl);

    /// <summary>Indicator codes within a measure: 1-16 ASCII letters, digits, dots, dashes or underscores, such as <c>1</c> or <c>KPI-2</c>.</summary>
    public static bool IsIndicatorCode(string code) => IndicatorPattern().IsMatch(code);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$")]
    private static partial Regex IndicatorPattern();

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex(@"^[^@\s\p{Cc},;<>""]+@[^@\s\p{Cc},;<>""]+\.[^@\s\p{Cc},;<>""]+$")]
    private static partial Regex EmailPattern();
}
