namespace AomoriReform.Workflows.Calendar;

/// <summary>One day off under the Act on National Holidays: a national holiday, a substitute holiday or a citizens' holiday.</summary>
public sealed record JapaneseHoliday(DateOnly Date, string JapaneseName, string EnglishName);

/// <summary>
/// Japan's national holidays, computed by the rules of the Act on National Holidays
/// (国民の祝日に関する法律) as they stand for <see cref="FirstYear"/>-<see cref="LastYear"/>:
/// the national holidays (国民の祝日), the substitute holiday (振替休日: a holiday on a Sunday moves
/// to the next day that is not a holiday) and the citizens' holiday (国民の休日: a day between two
/// holidays). Years outside that range throw rather than answer wrongly.
/// </summary>
/// <remarks>
/// The equinox days are fixed each February for the following year by the Cabinet Office from the
/// National Astronomical Observatory's ephemeris; the formula here is the standard approximation
/// (valid 1980-2099) that agrees with every year published so far. A future change of the Act needs
/// a change here.
/// </remarks>
public static class JapaneseHolidays
{
    public const int FirstYear = 2000;
    public const int LastYear = 2099;

    public const string SubstituteHoliday = "振替休日";
    public const string CitizensHoliday = "国民の休日";

    private static readonly YearTable?[] Tables = new YearTable?[LastYear - FirstYear + 1];

    public static bool IsHoliday(DateOnly date) => Find(date) is not null;

    /// <summary>The Japanese name of the holiday on <paramref name="date"/>, or null on an ordinary day.</summary>
    public static string? NameOf(DateOnly date) => Find(date)?.JapaneseName;

    public static JapaneseHoliday? Find(DateOnly date) => Table(date.Year).ByDayOfYear[date.DayOfYear - 1];

    /// <summary>Every holiday of <paramref name="year"/>, in date order.</summary>
    public static IReadOnlyList<JapaneseHoliday> InYear(int year) => Table(year).Ordered;

    /// <summary>The 春分の日 (Vernal Equinox Day): a day of March.</summary>
    public static DateOnly VernalEquinox(int year) => new(CheckYear(year), 3, EquinoxDay(20_843_100, year));

    /// <summary>The 秋分の日 (Autumnal Equinox Day): a day of September.</summary>
    public static DateOnly AutumnalEquinox(int year) => new(CheckYear(year), 9, EquinoxDay(23_248_800, year));

    private static YearTable Table(int year)
    {
        var index = CheckYear(year) - FirstYear;
        if (Volatile.Read(ref Tables[index]) is { } table)
        {
            return table;
        }

        // Computing a year twice on a race is harmless: both results are equal.
        Interlocked.CompareExchange(ref Tables[index], Compute(year), null);
        return Tables[index]!;
    }

    private static int CheckYear(int year) => year is >= FirstYear and <= LastYear
        ? year
        : throw new ArgumentOutOfRangeException(nameof(year), year, $"Japanese holidays are known for {FirstYear}-{LastYear}.");

    /// <summary>
    /// floor(base + 0.242194 (Y - 1980) - floor((Y - 1980) / 4)), in millionths so that no rounding of a
    /// double can move a day.
    /// </summary>
    private static int EquinoxDay(long baseMillionths, int year)
    {
        var sinceEpoch = year - 1980;
        return (int)((baseMillionths + (242_194L * sinceEpoch)) / 1_000_000) - (sinceEpoch / 4);
    }

    private static YearTable Compute(int year)
    {
        var days = new SortedDictionary<DateOnly, JapaneseHoliday>();
        foreach (var holiday in NationalHolidays(year))
        {
            days.Add(holiday.Date, holiday);
        }

        var national = days.Keys.ToList();

        // Article 3(2) since 2007: the next day that is not a national holiday. Before 2007 it was the
        // Monday only; no Sunday holiday of 2000-2006 was followed by a Monday holiday, so both agree.
        foreach (var date in national.Where(d => d.DayOfWeek == DayOfWeek.Sunday))
        {
            var substitute = date.AddDays(1);
            while (days.ContainsKey(substitute))
            {
                substitute = substitute.AddDays(1);
            }

            days.Add(substitute, new JapaneseHoliday(substitute, SubstituteHoliday, "Substitute Holiday"));
        }

        // Article 3(3): a day between two national holidays. Before 2007 the Act excluded Sundays
        // (a Saturday counted: 2002-05-04); since 2007 no Sunday can fall between two holidays.
        for (var i = 0; i + 1 < national.Count; i++)
        {
            var between = national[i].AddDays(1);
            if (national[i + 1] == between.AddDays(1) && between.DayOfWeek != DayOfWeek.Sunday && !days.ContainsKey(between))
            {
                days.Add(between, new JapaneseHoliday(between, CitizensHoliday, "Citizens' Holiday"));
            }
        }

        var byDay = new JapaneseHoliday?[366];
        foreach (var holiday in days.Values)
        {
            byDay[holiday.Date.DayOfYear - 1] = holiday;
        }

        return new YearTable(Array.AsReadOnly([.. days.Values]), byDay);
    }

    /// <summary>The national holidays (国民の祝日) of Article 2, with the laws that moved or added days.</summary>
    private static IEnumerable<JapaneseHoliday> NationalHolidays(int year)
    {
        JapaneseHoliday On(int month, int day, string japanese, string english) => new(new DateOnly(year, month, day), japanese, english);
        JapaneseHoliday Monday(int month, int nth, string japanese, string english) => new(NthMonday(year, month, nth), japanese, english);

        yield return On(1, 1, "元日", "New Year's Day");
        yield return Monday(1, 2, "成人の日", "Coming of Age Day");
        yield return On(2, 11, "建国記念の日", "National Foundation Day");
        if (year >= 2020)
        {
            yield return On(2, 23, "天皇誕生日", "The Emperor's Birthday");
        }

        yield return new JapaneseHoliday(VernalEquinox(year), "春分の日", "Vernal Equinox Day");
        yield return year >= 2007 ? On(4, 29, "昭和の日", "Showa Day") : On(4, 29, "みどりの日", "Greenery Day");
        if (year == 2019)
        {
            // The Act for the 2019 accession made these two days holidays, treated as national holidays
            // for Article 3, which is what makes 4/30 and 5/2 citizens' holidays.
            yield return On(5, 1, "即位の日", "Enthronement Day");
        }

        yield return On(5, 3, "憲法記念日", "Constitution Memorial Day");
        if (year >= 2007)
        {
            yield return On(5, 4, "みどりの日", "Greenery Day");
        }

        yield return On(5, 5, "こどもの日", "Children's Day");

        // The Olympic Games special measures moved Marine, Sports and Mountain Day in 2020 and 2021.
        yield return year switch
        {
            < 2003 => On(7, 20, "海の日", "Marine Day"),
            2020 => On(7, 23, "海の日", "Marine Day"),
            2021 => On(7, 22, "海の日", "Marine Day"),
            _ => Monday(7, 3, "海の日", "Marine Day"),
        };
        if (year >= 2020)
        {
            yield return year switch
            {
                2020 => On(7, 24, "スポーツの日", "Sports Day"),
                2021 => On(7, 23, "スポーツの日", "Sports Day"),
                _ => Monday(10, 2, "スポーツの日", "Sports Day"),
            };
        }

        if (year >= 2016)
        {
            yield return year switch
            {
                2020 => On(8, 10, "山の日", "Mountain Day"),
                2021 => On(8, 8, "山の日", "Mountain Day"),
                _ => On(8, 11, "山の日", "Mountain Day"),
            };
        }

        yield return year < 2003 ? On(9, 15, "敬老の日", "Respect for the Aged Day") : Monday(9, 3, "敬老の日", "Respect for the Aged Day");
        yield return new JapaneseHoliday(AutumnalEquinox(year), "秋分の日", "Autumnal Equinox Day");
        if (year < 2020)
        {
            yield return Monday(10, 2, "体育の日", "Health and Sports Day");
        }

        if (year == 2019)
        {
            yield return On(10, 22, "即位礼正殿の儀", "Enthronement Ceremony Day");
        }

        yield return On(11, 3, "文化の日", "Culture Day");
        yield return On(11, 23, "勤労感謝の日", "Labour Thanksgiving Day");
        if (year <= 2018)
        {
            yield return On(12, 23, "天皇誕生日", "The Emperor's Birthday");
        }
    }

    private static DateOnly NthMonday(int year, int month, int nth)
    {
        var first = new DateOnly(year, month, 1);
        var toMonday = ((int)DayOfWeek.Monday - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(toMonday + (7 * (nth - 1)));
    }

    private sealed record YearTable(IReadOnlyList<JapaneseHoliday> Ordered, JapaneseHoliday?[] ByDayOfYear);
}
