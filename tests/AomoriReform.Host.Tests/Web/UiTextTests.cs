using System.Globalization;
using System.Resources;
using System.Text.RegularExpressions;
using AomoriReform.Host.Web;

namespace AomoriReform.Tests.Web;

/// <summary>Every text a page shows in Japanese has its English, so the English switch leaves nothing behind.</summary>
public sealed partial class UiTextTests
{
    [Fact]
    public void Every_text_the_pages_use_has_an_English_translation()
    {
        var root = RepositoryRoot();
        var keys = Directory.EnumerateFiles(Path.Combine(root, "src", "Host", "Web"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".razor", StringComparison.Ordinal) || f.EndsWith(".cs", StringComparison.Ordinal))
            .SelectMany(f => TextKey().Matches(File.ReadAllText(f)).Select(m => Regex.Unescape(m.Groups[1].Value)))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(keys.Count > 100, $"found only {keys.Count} texts");
        var english = new ResourceManager(typeof(Ui).FullName!, typeof(Ui).Assembly);
        var missing = keys.Where(k => english.GetString(k, CultureInfo.GetCultureInfo("en")) is null).Order(StringComparer.Ordinal).ToList();
        Assert.True(missing.Count == 0, "no English for: " + string.Join(" | ", missing));
    }

    [Fact]
    public void Japanese_is_the_default_and_dates_are_in_the_Reiwa_era()
    {
        var previous = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentUICulture = WebExtensions.Japanese;
            Assert.Equal("令和7年5月29日", Display.Date(new DateOnly(2025, 5, 29)));
            Assert.Equal("令和元年5月1日", Display.Date(new DateOnly(2019, 5, 1)));
            Assert.Equal("平成31年4月30日", Display.Date(new DateOnly(2019, 4, 30)));
            Assert.Equal("令和7年度", Display.FiscalYearLabel(2025));
            CultureInfo.CurrentUICulture = WebExtensions.English;
            Assert.Equal("29 May 2025", Display.Date(new DateOnly(2025, 5, 29)));
            Assert.Equal("FY2025", Display.FiscalYearLabel(2025));
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AomoriReform.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The tests run outside the repository.");
    }

    [GeneratedRegex(@"\b[lL]\[""((?:[^""\\]|\\.)*)""")]
    private static partial Regex TextKey();
}
