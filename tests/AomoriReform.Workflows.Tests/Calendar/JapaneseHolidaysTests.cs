using System.Globalization;
using AomoriReform.Workflows.Calendar;

namespace AomoriReform.Tests.Calendar;

public sealed class JapaneseHolidaysTests
{
    // The rows of the Cabinet Office's list (内閣府「国民の祝日について」, syukujitsu.csv, as updated
    // 2026-02-02), copied as they are: the list names both substitute holidays and citizens' holidays "休日".
    private const string PublishedList = """
        2024/1/1,元日
        2024/1/8,成人の日
        2024/2/11,建国記念の日
        2024/2/12,休日
        2024/2/23,天皇誕生日
        2024/3/20,春分の日
        2024/4/29,昭和の日
        2024/5/3,憲法記念日
        2024/5/4,みどりの日
        2024/5/5,こどもの日
        2024/5/6,休日
        2024/7/15,海の日
        2024/8/11,山の日
        2024/8/12,休日
        2024/9/16,敬老の日
        2024/9/22,秋分の日
        2024/9/23,休日
        2024/10/14,スポーツの日
        2024/11/3,文化の日
        2024/11/4,休日
        2024/11/23,勤労感謝の日
        2025/1/1,元日
        2025/1/13,成人の日
        2025/2/11,建国記念の日
        2025/2/23,天皇誕生日
        2025/2/24,休日
        2025/3/20,春分の日
        2025/4/29,昭和の日
        2025/5/3,憲法記念日
        2025/5/4,みどりの日
        2025/5/5,こどもの日
        2025/5/6,休日
        2025/7/21,海の日
        2025/8/11,山の日
        2025/9/15,敬老の日
        2025/9/23,秋分の日
        2025/10/13,スポーツの日
        2025/11/3,文化の日
        2025/11/23,勤労感謝の日
        2025/11/24,休日
        2026/1/1,元日
        2026/1/12,成人の日
        2026/2/11,建国記念の日
        2026/2/23,天皇誕生日
        2026/3/20,春分の日
        2026/4/29,昭和の日
        2026/5/3,憲法記念日
        2026/5/4,みどりの日
        2026/5/5,こどもの日
        2026/5/6,休日
        2026/7/20,海の日
        2026/8/11,山の日
        2026/9/21,敬老の日
        2026/9/22,休日
        2026/9/23,秋分の日
        2026/10/12,スポーツの日
        2026/11/3,文化の日
        2026/11/23,勤労感謝の日
        2027/1/1,元日
        2027/1/11,成人の日
        2027/2/11,建国記念の日
        2027/2/23,天皇誕生日
        2027/3/21,春分の日
        2027/3/22,休日
        2027/4/29,昭和の日
        2027/5/3,憲法記念日
        2027/5/4,みどりの日
        2027/5/5,こどもの日
        2027/7/19,海の日
        2027/8/11,山の日
        2027/9/20,敬老の日
        2027/9/23,秋分の日
        2027/10/11,スポーツの日
        2027/11/3,文化の日
        2027/11/23,勤労感謝の日
        """;

    // 2028 is not on the list yet (its equinoxes are announced in February 2027): the fixed and Monday
    // holidays by the Act, the equinoxes as the Cabinet Office's calendars give them (春分 3/20, 秋分 9/22).
    // No holiday of 2028 falls on a Sunday and none is two days after another, so it has no 休日.
    private const string Expected2028 = """
        2028/1/1,元日
        2028/1/10,成人の日
        2028/2/11,建国記念の日
        2028/2/23,天皇誕生日
        2028/3/20,春分の日
        2028/4/29,昭和の日
        2028/5/3,憲法記念日
        2028/5/4,みどりの日
        2028/5/5,こどもの日
        2028/7/17,海の日
        2028/8/11,山の日
        2028/9/18,敬老の日
        2028/9/22,秋分の日
        2028/10/9,スポーツの日
        2028/11/3,文化の日
        2028/11/23,勤労感謝の日
        """;

    [Theory]
    [InlineData(2024)]
    [InlineData(2025)]
    [InlineData(2026)]
    [InlineData(2027)]
    [InlineData(2028)]
    public void Every_holiday_of_the_year_is_the_published_one_and_there_are_no_others(int year)
    {
        var published = Rows(PublishedList + "\n" + Expected2028).Where(row => row.Date.Year == year).ToList();
        Assert.NotEmpty(published);

        foreach (var (date, name) in published)
        {
            Assert.True(JapaneseHolidays.IsHoliday(date), $"{date:yyyy-MM-dd} {name} should be a holiday");
            Assert.Equal(name, AsPublished(JapaneseHolidays.NameOf(date)!));
        }

        var listed = published.Select(row => row.Date).ToHashSet();
        for (var date = new DateOnly(year, 1, 1); date.Year == year; date = date.AddDays(1))
        {
            Assert.True(listed.Contains(date) == JapaneseHolidays.IsHoliday(date), $"{date:yyyy-MM-dd} is {JapaneseHolidays.NameOf(date) ?? "no holiday"} but the list says otherwise");
        }

        Assert.Equal(published.Select(row => (row.Date, row.Name)), JapaneseHolidays.InYear(year).Select(h => (h.Date, AsPublished(h.JapaneseName))));
    }

    [Theory]
    [InlineData("2024-02-12", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2024-09-23", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2025-11-24", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2026-05-06", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2026-09-22", JapaneseHolidays.CitizensHoliday)]
    [InlineData("2027-03-22", JapaneseHolidays.SubstituteHoliday)]
    public void The_published_holidays_named_only_kyujitsu_are_told_apart(string date, string name) =>
        Assert.Equal(name, JapaneseHolidays.NameOf(Day(date)));

    [Theory]
    // 2019: the accession made 5/1 a holiday, so 4/30 and 5/2 lie between two holidays; こどもの日 was a Sunday.
    [InlineData("2019-04-29", "昭和の日")]
    [InlineData("2019-04-30", JapaneseHolidays.CitizensHoliday)]
    [InlineData("2019-05-01", "即位の日")]
    [InlineData("2019-05-02", JapaneseHolidays.CitizensHoliday)]
    [InlineData("2019-05-03", "憲法記念日")]
    [InlineData("2019-05-04", "みどりの日")]
    [InlineData("2019-05-05", "こどもの日")]
    [InlineData("2019-05-06", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2019-10-14", "体育の日")]
    [InlineData("2019-10-22", "即位礼正殿の儀")]
    // Silver Week: 敬老の日 and 秋分の日 two days apart.
    [InlineData("2009-09-22", JapaneseHolidays.CitizensHoliday)]
    [InlineData("2015-09-22", JapaneseHolidays.CitizensHoliday)]
    [InlineData("2032-09-21", JapaneseHolidays.CitizensHoliday)]
    // Since 2007 a substitute skips the holidays that follow: 5/3 on a Sunday gives Wednesday 5/6.
    [InlineData("2009-05-06", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2015-05-06", JapaneseHolidays.SubstituteHoliday)]
    // Before 2007 5/4 was a citizens' holiday, on a Saturday too; since then it is みどりの日.
    [InlineData("2002-05-04", JapaneseHolidays.CitizensHoliday)]
    [InlineData("2006-05-04", JapaneseHolidays.CitizensHoliday)]
    [InlineData("2006-04-29", "みどりの日")]
    [InlineData("2007-04-29", "昭和の日")]
    [InlineData("2007-05-04", "みどりの日")]
    [InlineData("2002-07-20", "海の日")]
    [InlineData("2002-09-15", "敬老の日")]
    [InlineData("2018-12-23", "天皇誕生日")]
    [InlineData("2018-12-24", JapaneseHolidays.SubstituteHoliday)]
    // The Olympic years moved 海の日, スポーツの日 and 山の日; 2021's 山の日 was a Sunday.
    [InlineData("2020-02-24", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2020-07-23", "海の日")]
    [InlineData("2020-07-24", "スポーツの日")]
    [InlineData("2020-08-10", "山の日")]
    [InlineData("2021-07-22", "海の日")]
    [InlineData("2021-07-23", "スポーツの日")]
    [InlineData("2021-08-08", "山の日")]
    [InlineData("2021-08-09", JapaneseHolidays.SubstituteHoliday)]
    [InlineData("2016-08-11", "山の日")]
    public void Substitute_citizens_and_special_holidays_fall_where_the_law_puts_them(string date, string name) =>
        Assert.Equal(name, JapaneseHolidays.NameOf(Day(date)));

    [Theory]
    [InlineData("2019-02-23")]
    [InlineData("2019-12-23")]
    [InlineData("2003-05-04")]
    [InlineData("2015-08-11")]
    [InlineData("2020-07-20")]
    [InlineData("2020-08-11")]
    [InlineData("2020-10-12")]
    [InlineData("2021-07-19")]
    [InlineData("2021-08-11")]
    [InlineData("2021-10-11")]
    [InlineData("2025-12-29")]
    public void Days_the_law_moved_away_or_never_made_holidays_are_not(string date) =>
        Assert.Null(JapaneseHolidays.NameOf(Day(date)));

    [Fact]
    public void The_2019_holidays_have_english_names_too()
    {
        Assert.Equal("Enthronement Day", JapaneseHolidays.Find(Day("2019-05-01"))!.EnglishName);
        Assert.Equal("Citizens' Holiday", JapaneseHolidays.Find(Day("2019-04-30"))!.EnglishName);
        Assert.Equal("Substitute Holiday", JapaneseHolidays.Find(Day("2019-05-06"))!.EnglishName);
        Assert.Equal("Mountain Day", JapaneseHolidays.Find(Day("2026-08-11"))!.EnglishName);
    }

    [Fact]
    public void Every_year_of_the_range_is_ordered_and_plausible()
    {
        for (var year = JapaneseHolidays.FirstYear; year <= JapaneseHolidays.LastYear; year++)
        {
            var holidays = JapaneseHolidays.InYear(year);
            Assert.InRange(holidays.Count, 15, 22);
            Assert.All(holidays, h => Assert.False(string.IsNullOrEmpty(h.JapaneseName) || string.IsNullOrEmpty(h.EnglishName)));
            Assert.Equal(holidays.OrderBy(h => h.Date), holidays);
            Assert.Equal(holidays.Count, holidays.Select(h => h.Date).Distinct().Count());
            Assert.InRange(JapaneseHolidays.VernalEquinox(year).Day, 19, 21);
            Assert.InRange(JapaneseHolidays.AutumnalEquinox(year).Day, 21, 24);
        }
    }

    [Theory]
    // Published years, and two far ones: the equinox drifts to 19 March late in the century.
    [InlineData(2000, "2000-03-20", "2000-09-23")]
    [InlineData(2012, "2012-03-20", "2012-09-22")]
    [InlineData(2023, "2023-03-21", "2023-09-23")]
    [InlineData(2092, "2092-03-19", "2092-09-22")]
    [InlineData(2099, "2099-03-20", "2099-09-23")]
    public void The_equinoxes_come_from_the_standard_formula(int year, string vernal, string autumnal)
    {
        Assert.Equal(Day(vernal), JapaneseHolidays.VernalEquinox(year));
        Assert.Equal(Day(autumnal), JapaneseHolidays.AutumnalEquinox(year));
    }

    [Theory]
    [InlineData(1999)]
    [InlineData(2100)]
    public void Years_outside_the_computed_range_are_refused_rather_than_guessed(int year)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => JapaneseHolidays.InYear(year));
        Assert.Throws<ArgumentOutOfRangeException>(() => JapaneseHolidays.IsHoliday(new DateOnly(year, 1, 1)));
    }

    private static DateOnly Day(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string AsPublished(string name) =>
        name is JapaneseHolidays.SubstituteHoliday or JapaneseHolidays.CitizensHoliday ? "休日" : name;

    private static List<(DateOnly Date, string Name)> Rows(string csv) =>
        [.. csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(','))
            .Select(cells => (DateOnly.ParseExact(cells[0], "yyyy/M/d", CultureInfo.InvariantCulture), cells[1]))];
}
