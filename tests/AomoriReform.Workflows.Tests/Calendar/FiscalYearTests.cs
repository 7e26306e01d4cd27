using AomoriReform.Workflows.Calendar;

namespace AomoriReform.Tests.Calendar;

public sealed class FiscalYearTests
{
    [Theory]
    [InlineData(2019, "令和元年度")]
    [InlineData(2024, "令和6年度")]
    [InlineData(2025, "令和7年度")]
    [InlineData(2028, "令和10年度")]
    [InlineData(2018, "2018年度")]
    public void The_reiwa_label_is_computed(int year, string label) => Assert.Equal(label, new FiscalYear(year).ReiwaLabel);

    [Theory]
    [InlineData("2026-03-31", 2025)]
    [InlineData("2026-04-01", 2026)]
    [InlineData("2027-01-15", 2026)]
    public void A_fiscal_year_runs_from_1_april_to_31_march(string date, int year) => Assert.Equal(year, FiscalYear.Of(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)).Year);

    [Fact]
    public void The_year_turns_at_midnight_in_japan_not_in_utc()
    {
        Assert.Equal(2025, FiscalYear.Of(new DateTimeOffset(2026, 3, 31, 14, 59, 0, TimeSpan.Zero)).Year);
        Assert.Equal(2026, FiscalYear.Of(new DateTimeOffset(2026, 3, 31, 15, 0, 0, TimeSpan.Zero)).Year);
        Assert.Equal(new DateTime(2026, 5, 29, 0, 0, 0, DateTimeKind.Utc), FiscalYear.JapanToUtc(new DateOnly(2026, 5, 29), new TimeOnly(9, 0)));
    }
}
