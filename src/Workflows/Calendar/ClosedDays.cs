using System.Globalization;
using AomoriReform.Workflows.Files;

namespace AomoriReform.Workflows.Calendar;

/// <summary>
/// The days the prefectural offices are closed (閉庁日): Saturdays, Sundays, national holidays
/// (<see cref="JapaneseHolidays"/>), the year-end and New Year closure (年末年始, 29 December to
/// 3 January) and the extra days of an optional file. Every other day is a business day; due dates
/// and reminder offsets count business days. Immutable; dates outside
/// <see cref="JapaneseHolidays.FirstYear"/>-<see cref="JapaneseHolidays.LastYear"/> throw.
/// </summary>
public sealed class ClosedDays
{
    public const string FileKind = "closed-days file";

    private static readonly char[] NoSeparators = [];

    private readonly Dictionary<DateOnly, string> extraDays;

    // Per year, the day numbers of the closed Mondays-Fridays, sorted: business days are the weekdays
    // less these, so counting them over a range is two binary searches instead of a walk.
    private readonly int[]?[] closedWeekdays = new int[]?[JapaneseHolidays.LastYear - JapaneseHolidays.FirstYear + 1];

    public ClosedDays(IReadOnlyDictionary<DateOnly, string> extraDays)
    {
        foreach (var date in extraDays.Keys)
        {
            CheckYear(date);
        }

        this.extraDays = new Dictionary<DateOnly, string>(extraDays);
        ExtraDays = this.extraDays.AsReadOnly();
    }

    /// <summary>The closed days every year has, with no extra days.</summary>
    public static ClosedDays Standard { get; } = new(new Dictionary<DateOnly, string>());

    /// <summary>The extra closed days with their reasons (empty when the file gave none).</summary>
    public IReadOnlyDictionary<DateOnly, string> ExtraDays { get; }

    public bool IsClosed(DateOnly date)
    {
        CheckYear(date);
        return IsWeekend(date) || IsYearEnd(date) || JapaneseHolidays.IsHoliday(date) || extraDays.ContainsKey(date);
    }

    public bool IsBusinessDay(DateOnly date) => !IsClosed(date);

    /// <summary>The first business day after <paramref name="date"/>.</summary>
    public DateOnly NextBusinessDay(DateOnly date) => AddBusinessDays(date, 1);

    /// <summary>The last business day before <paramref name="date"/>.</summary>
    public DateOnly PreviousBusinessDay(DateOnly date) => SubtractBusinessDays(date, 1);

    /// <summary>
    /// The <paramref name="days"/>-th business day after <paramref name="start"/>, as in "due 7 business
    /// days from today"; 0 gives <paramref name="start"/> itself when it is a business day, else the next one.
    /// </summary>
    public DateOnly AddBusinessDays(DateOnly start, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        CheckYear(start);
        if (days == 0)
        {
            return IsBusinessDay(start) ? start : AddBusinessDays(start, 1);
        }

        // Jump over whole weekdays, then again over as many weekdays as were closed in the stretch
        // just crossed, until a stretch crosses none: a few rounds even across Golden Week.
        var current = start;
        var remaining = days;
        while (true)
        {
            var candidate = AddWeekdays(current, remaining);
            remaining = ClosedWeekdaysAfter(current, candidate);
            if (remaining == 0)
            {
                return candidate;
            }

            current = candidate;
        }
    }

    /// <summary>
    /// The business day <paramref name="days"/> business days before <paramref name="due"/>, as in "remind
    /// 3 business days before the due date"; 0 gives <paramref name="due"/> itself when it is a business day,
    /// else the business day before it.
    /// </summary>
    public DateOnly SubtractBusinessDays(DateOnly due, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        CheckYear(due);
        if (days == 0)
        {
            return IsBusinessDay(due) ? due : SubtractBusinessDays(due, 1);
        }

        var current = due;
        var remaining = days;
        while (true)
        {
            var candidate = SubtractWeekdays(current, remaining);
            remaining = ClosedWeekdaysAfter(candidate.AddDays(-1), current.AddDays(-1));
            if (remaining == 0)
            {
                return candidate;
            }

            current = candidate;
        }
    }

    /// <summary>Reads the extra-days file; a missing file throws <see cref="FileNotFoundException"/>.</summary>
    public static ClosedDays Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>
    /// Reads an extra-days file: UTF-8 text, one <c>yyyy-MM-dd</c> per line, optionally followed by
    /// whitespace and a reason; <c>#</c> starts a comment line; blank lines are skipped. Every bad line
    /// is reported (<see cref="FileRejectedException"/>), naming <paramref name="fileName"/>.
    /// </summary>
    public static ClosedDays Parse(ReadOnlySpan<byte> bytes, string fileName)
    {
        var kind = $"{FileKind} {fileName}";
        var text = TextFile.Decode(bytes, kind);
        var days = new Dictionary<DateOnly, string>();
        var firstLine = new Dictionary<DateOnly, int>();
        var errors = new List<FileError>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split(NoSeparators, 2, StringSplitOptions.TrimEntries);
            if (!DateOnly.TryParseExact(parts[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                errors.Add(new FileError(lineNumber, $"'{Shorten(parts[0])}' is not a date yyyy-MM-dd such as 2026-08-14"));
            }
            else if (date.Year is < JapaneseHolidays.FirstYear or > JapaneseHolidays.LastYear)
            {
                errors.Add(new FileError(lineNumber, $"{parts[0]} is outside the years {JapaneseHolidays.FirstYear}-{JapaneseHolidays.LastYear}"));
            }
            else if (firstLine.TryGetValue(date, out var first))
            {
                errors.Add(new FileError(lineNumber, $"{parts[0]} is listed twice (first on line {first})"));
            }
            else
            {
                firstLine[date] = lineNumber;
                days[date] = parts.Length > 1 ? parts[1].TrimStart('#').Trim() : string.Empty;
            }
        }

        return errors.Count == 0 ? new ClosedDays(days) : throw new FileRejectedException(kind, errors);
    }

    private static string Shorten(string text) => text.Length <= 32 ? text : $"{text[..32]}...";

    private static bool IsWeekend(DateOnly date) => date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;

    private static bool IsYearEnd(DateOnly date) => (date.Month == 12 && date.Day >= 29) || (date.Month == 1 && date.Day <= 3);

    private static void CheckYear(DateOnly date)
    {
        if (date.Year is < JapaneseHolidays.FirstYear or > JapaneseHolidays.LastYear)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, $"Closed days are known for {JapaneseHolidays.FirstYear}-{JapaneseHolidays.LastYear}.");
        }
    }

    /// <summary>The <paramref name="count"/>-th Monday-Friday after <paramref name="date"/> (count > 0).</summary>
    private static DateOnly AddWeekdays(DateOnly date, int count)
    {
        // From a weekend, counting starts as from the Friday before it.
        var from = date.DayOfWeek switch
        {
            DayOfWeek.Saturday => date.AddDays(-1),
            DayOfWeek.Sunday => date.AddDays(-2),
            _ => date,
        };
        var weekday = (int)from.DayOfWeek - 1;
        var (weeks, rest) = Math.DivRem(count, 5);
        return from.AddDays((weeks * 7) + rest + (weekday + rest > 4 ? 2 : 0));
    }

    /// <summary>The <paramref name="count"/>-th Monday-Friday before <paramref name="date"/> (count > 0).</summary>
    private static DateOnly SubtractWeekdays(DateOnly date, int count)
    {
        // From a weekend, counting starts as from the Monday after it.
        var from = date.DayOfWeek switch
        {
            DayOfWeek.Saturday => date.AddDays(2),
            DayOfWeek.Sunday => date.AddDays(1),
            _ => date,
        };
        var weekday = (int)from.DayOfWeek - 1;
        var (weeks, rest) = Math.DivRem(count, 5);
        return from.AddDays(-((weeks * 7) + rest + (weekday - rest < 0 ? 2 : 0)));
    }

    /// <summary>How many closed Mondays-Fridays fall after <paramref name="after"/> up to and including <paramref name="through"/>.</summary>
    private int ClosedWeekdaysAfter(DateOnly after, DateOnly through)
    {
        CheckYear(after.AddDays(1));
        CheckYear(through);
        var count = 0;
        for (var year = after.Year; year <= through.Year; year++)
        {
            var days = ClosedWeekdays(year);
            count += AtMost(days, through.DayNumber) - AtMost(days, after.DayNumber);
        }

        return count;

        static int AtMost(int[] sorted, int dayNumber)
        {
            var index = Array.BinarySearch(sorted, dayNumber);
            return index >= 0 ? index + 1 : ~index;
        }
    }

    private int[] ClosedWeekdays(int year)
    {
        var index = year - JapaneseHolidays.FirstYear;
        if ((uint)index >= (uint)closedWeekdays.Length)
        {
            // Only 1999-12-31 gets here, as the exclusive start of a count from 2000-01-01.
            return [];
        }

        if (Volatile.Read(ref closedWeekdays[index]) is { } known)
        {
            return known;
        }

        var start = new DateOnly(year, 1, 1);
        var days = new List<int>();
        for (var date = start; date.Year == year; date = date.AddDays(1))
        {
            if (!IsWeekend(date) && IsClosed(date))
            {
                days.Add(date.DayNumber);
            }
        }

        Interlocked.CompareExchange(ref closedWeekdays[index], [.. days], null);
        return closedWeekdays[index]!;
    }
}
