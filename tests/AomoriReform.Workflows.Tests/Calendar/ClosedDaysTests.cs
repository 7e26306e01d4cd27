using System.Globalization;
using System.Text;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Files;

namespace AomoriReform.Tests.Calendar;

public sealed class ClosedDaysTests
{
    private static readonly ClosedDays Standard = ClosedDays.Standard;

    [Theory]
    [InlineData("2026-04-29", true)] // 昭和の日, a Wednesday
    [InlineData("2026-04-30", false)]
    [InlineData("2026-05-01", false)]
    [InlineData("2026-05-02", true)] // Saturday
    [InlineData("2026-05-06", true)] // substitute for 5/3, a Sunday
    [InlineData("2026-05-07", false)]
    [InlineData("2026-12-28", false)]
    [InlineData("2026-12-29", true)] // year-end closure, no holiday
    [InlineData("2026-12-31", true)]
    [InlineData("2027-01-02", true)]
    [InlineData("2027-01-03", true)]
    [InlineData("2027-01-04", false)]
    [InlineData("2026-01-05", false)]
    public void Weekends_holidays_and_the_year_end_are_closed(string date, bool closed)
    {
        Assert.Equal(closed, Standard.IsClosed(Day(date)));
        Assert.Equal(!closed, Standard.IsBusinessDay(Day(date)));
    }

    [Theory]
    // Golden Week 2026: 4/29 and 5/2-5/6 closed; 4/30 and 5/1 open.
    [InlineData("2026-05-01", 1, "2026-05-07")]
    [InlineData("2026-04-28", 7, "2026-05-13")]
    [InlineData("2026-04-28", 1, "2026-04-30")]
    [InlineData("2026-05-03", 0, "2026-05-07")]
    [InlineData("2026-05-03", 1, "2026-05-07")]
    [InlineData("2026-05-07", 0, "2026-05-07")]
    // New Year: 12/29-1/3 closed, the first business day of 2027 is Monday 1/4.
    [InlineData("2026-12-25", 1, "2026-12-28")]
    [InlineData("2026-12-25", 2, "2027-01-04")]
    [InlineData("2026-12-28", 5, "2027-01-08")]
    [InlineData("2025-12-26", 1, "2026-01-05")]
    [InlineData("2026-01-01", 0, "2026-01-05")]
    // A whole year: 2026 has 261 weekdays, 17 of them holidays or 1/1-1/2 and 3 of them 12/29-12/31,
    // so 240 business days after the last one of 2025 is the last one of 2026.
    [InlineData("2025-12-26", 240, "2026-12-28")]
    public void Adding_business_days_counts_only_business_days_after_the_start(string start, int days, string expected) =>
        Assert.Equal(Day(expected), Standard.AddBusinessDays(Day(start), days));

    [Theory]
    [InlineData("2026-05-08", 3, "2026-04-30")]
    [InlineData("2026-05-07", 1, "2026-05-01")]
    [InlineData("2026-05-05", 0, "2026-05-01")]
    [InlineData("2026-05-05", 1, "2026-05-01")]
    [InlineData("2026-05-07", 0, "2026-05-07")]
    [InlineData("2027-01-05", 2, "2026-12-28")]
    [InlineData("2027-01-04", 1, "2026-12-28")]
    [InlineData("2026-01-05", 1, "2025-12-26")]
    public void Subtracting_business_days_counts_back_from_the_due_date(string due, int days, string expected) =>
        Assert.Equal(Day(expected), Standard.SubtractBusinessDays(Day(due), days));

    [Fact]
    public void The_next_and_previous_business_day_skip_the_closure()
    {
        Assert.Equal(Day("2027-01-04"), Standard.NextBusinessDay(Day("2026-12-28")));
        Assert.Equal(Day("2026-05-07"), Standard.NextBusinessDay(Day("2026-05-01")));
        Assert.Equal(Day("2026-12-28"), Standard.PreviousBusinessDay(Day("2027-01-04")));
    }

    [Fact]
    public void An_extra_day_from_the_file_is_closed_and_business_days_step_over_it()
    {
        var days = ClosedDays.Parse("2026-08-14 臨時閉庁\n"u8, "closed-days.txt");

        Assert.True(days.IsClosed(Day("2026-08-14")));
        Assert.False(Standard.IsClosed(Day("2026-08-14")));
        // 8/11 is 山の日: after Monday 8/10 come 8/12, 8/13 and then Monday 8/17, not Friday 8/14.
        Assert.Equal(Day("2026-08-17"), days.AddBusinessDays(Day("2026-08-10"), 3));
        Assert.Equal(Day("2026-08-14"), Standard.AddBusinessDays(Day("2026-08-10"), 3));
        Assert.Equal(Day("2026-08-13"), days.SubtractBusinessDays(Day("2026-08-17"), 1));
        Assert.Equal(Day("2026-08-13"), days.SubtractBusinessDays(Day("2026-08-14"), 0));
    }

    [Fact]
    public void The_jumps_agree_with_walking_day_by_day()
    {
        var days = ClosedDays.Parse("2026-08-14\n2026-08-17\n2027-05-06\n2027-12-28\n"u8, "closed-days.txt");
        for (var date = Day("2025-12-01"); date < Day("2028-01-31"); date = date.AddDays(1))
        {
            for (var n = 0; n <= 25; n++)
            {
                Assert.Equal(WalkForward(days, date, n), days.AddBusinessDays(date, n));
                Assert.Equal(WalkBack(days, date, n), days.SubtractBusinessDays(date, n));
            }
        }
    }

    [Fact]
    public void Negative_counts_and_dates_outside_the_known_years_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Standard.AddBusinessDays(Day("2026-05-01"), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Standard.SubtractBusinessDays(Day("2026-05-01"), -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Standard.IsClosed(Day("1999-12-31")));
        Assert.Throws<ArgumentOutOfRangeException>(() => Standard.AddBusinessDays(Day("2099-12-25"), 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Standard.SubtractBusinessDays(Day("2000-01-05"), 2));
        Assert.Equal(Day("2000-01-04"), Standard.SubtractBusinessDays(Day("2000-01-05"), 1));
    }

    [Fact]
    public void The_file_may_carry_comments_blank_lines_reasons_a_bom_and_crlf()
    {
        var text = "\uFEFF# 青森県 臨時閉庁日\r\n\r\n2026-08-14\u3000臨時閉庁\r\n  2026-08-13   # お盆\r\n2027-05-06\r\n";
        var days = ClosedDays.Parse(Encoding.UTF8.GetBytes(text), "closed-days.txt");

        Assert.Equal(3, days.ExtraDays.Count);
        Assert.Equal("臨時閉庁", days.ExtraDays[Day("2026-08-14")]);
        Assert.Equal("お盆", days.ExtraDays[Day("2026-08-13")]);
        Assert.Equal(string.Empty, days.ExtraDays[Day("2027-05-06")]);
    }

    [Fact]
    public void Every_bad_line_is_named_with_the_file()
    {
        var text = "# extra closed days\n2026-08-14 ok\n2026/08/13\n2026-02-30 not a day\n\n1999-12-31\n2026-08-14 again\nお盆\n";

        var rejected = Assert.Throws<FileRejectedException>(() => ClosedDays.Parse(Encoding.UTF8.GetBytes(text), "/etc/aomori/closed-days.txt"));

        Assert.Equal("closed-days file /etc/aomori/closed-days.txt", rejected.FileKind);
        Assert.Contains("/etc/aomori/closed-days.txt", rejected.Message, StringComparison.Ordinal);
        Assert.Equal([3, 4, 6, 7, 8], rejected.Errors.Select(e => e.Line));
        Assert.Equal("'2026/08/13' is not a date yyyy-MM-dd such as 2026-08-14", rejected.Errors[0].Message);
        Assert.Equal("'2026-02-30' is not a date yyyy-MM-dd such as 2026-08-14", rejected.Errors[1].Message);
        Assert.Equal("1999-12-31 is outside the years 2000-2099", rejected.Errors[2].Message);
        Assert.Equal("2026-08-14 is listed twice (first on line 2)", rejected.Errors[3].Message);
        Assert.Equal("'お盆' is not a date yyyy-MM-dd such as 2026-08-14", rejected.Errors[4].Message);
    }

    [Fact]
    public void A_file_saved_as_shift_jis_is_refused_by_line()
    {
        // "2026-08-14 臨時閉庁" in Shift_JIS: the reason's bytes are not UTF-8.
        byte[] bytes = [.. "2026-08-13\n2026-08-14 "u8, 0x97, 0xD5, 0x8E, 0x9E, 0x95, 0xC2, 0x92, 0xA1, (byte)'\n'];

        var rejected = Assert.Throws<FileRejectedException>(() => ClosedDays.Parse(bytes, "closed-days.txt"));

        Assert.Equal(2, Assert.Single(rejected.Errors).Line);
    }

    private static DateOnly WalkForward(ClosedDays days, DateOnly date, int n)
    {
        if (n == 0)
        {
            while (days.IsClosed(date))
            {
                date = date.AddDays(1);
            }

            return date;
        }

        while (n > 0)
        {
            date = date.AddDays(1);
            n -= days.IsBusinessDay(date) ? 1 : 0;
        }

        return date;
    }

    private static DateOnly WalkBack(ClosedDays days, DateOnly date, int n)
    {
        if (n == 0)
        {
            while (days.IsClosed(date))
            {
                date = date.AddDays(-1);
            }

            return date;
        }

        while (n > 0)
        {
            date = date.AddDays(-1);
            n -= days.IsBusinessDay(date) ? 1 : 0;
        }

        return date;
    }

    private static DateOnly Day(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
