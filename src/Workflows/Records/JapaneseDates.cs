using System.Globalization;
using AomoriReform.Workflows.Calendar;

namespace AomoriReform.Workflows.Records;

/// <summary>Dates in the Japanese era (和暦) as official documents write them: 令和7年5月29日.</summary>
public static class JapaneseDates
{
    public static string Date(DateOnly date)
    {
        var (era, offset) = date >= new DateOnly(2019, 5, 1) ? ("令和", 2018) : date >= new DateOnly(1989, 1, 8) ? ("平成", 1988) : ("", 0);
        var year = date.Year - offset;
        var yearText = era.Length > 0 && year == 1 ? "元" : year.ToString(CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{era}{yearText}年{date.Month}月{date.Day}日");
    }

    /// <summary>A UTC instant as its Japan date and time: 令和7年5月29日 14:05.</summary>
    public static string Instant(DateTime utc)
    {
        var japan = ToJapan(utc);
        return $"{Date(DateOnly.FromDateTime(japan))} {Time(japan)}";
    }

    public static DateTime ToJapan(DateTime utc) =>
        TimeZoneInfo.ConvertTimeFromUtc(utc.Kind == DateTimeKind.Local ? utc.ToUniversalTime() : DateTime.SpecifyKind(utc, DateTimeKind.Utc), FiscalYear.Japan);

    public static string Time(DateTime japan) => japan.ToString("HH:mm", CultureInfo.InvariantCulture);
}
