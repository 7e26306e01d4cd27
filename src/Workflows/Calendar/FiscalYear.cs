using System.Globalization;

namespace AomoriReform.Workflows.Calendar;

/// <summary>
/// A Japanese fiscal year (年度): 1 April to 31 March, named by the calendar year it starts in.
/// Its 令和 (Reiwa) label is computed: 令和N年度 = FY(2018+N), 令和元年度 = FY2019.
/// </summary>
public readonly record struct FiscalYear(int Year)
{
    public static readonly TimeZoneInfo Japan = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");

    public DateOnly Start => new(Year, 4, 1);
    public DateOnly End => new(Year + 1, 3, 31);

    /// <summary>令和7年度 for FY2025; before 令和 (FY2018 and earlier) the Western year.</summary>
    public string ReiwaLabel => Year switch
    {
        < 2019 => $"{Year}年度",
        2019 => "令和元年度",
        _ => $"令和{(Year - 2018).ToString(CultureInfo.InvariantCulture)}年度",
    };

    public static FiscalYear Of(DateOnly date) => new(date.Month >= 4 ? date.Year : date.Year - 1);

    /// <summary>The fiscal year an instant falls in, by the Japan date.</summary>
    public static FiscalYear Of(DateTimeOffset instant) => Of(JapanDate(instant));

    public static DateOnly JapanDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Japan).DateTime);

    /// <summary>The UTC instant of a Japan-time wall clock moment.</summary>
    public static DateTime JapanToUtc(DateOnly date, TimeOnly time) =>
        TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(date.ToDateTime(time), DateTimeKind.Unspecified), Japan);

    public override string ToString() => $"FY{Year.ToString(CultureInfo.InvariantCulture)}";
}
