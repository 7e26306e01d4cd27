using System.Globalization;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Organisation;
using Microsoft.Extensions.Localization;

namespace AomoriReform.Host.Web;

/// <summary>How the UI writes the product's values: statuses, roles, progress, 令和 dates and fiscal years.</summary>
public static class Display
{
    public static bool IsJapanese => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "ja";

    /// <summary>
    /// Each status's label: what has happened so far (提出済, 課長承認済), which reads right on every route,
    /// whichever step comes next. The badge adds a shape, so that status is never told by colour alone.
    /// </summary>
    public static string Status(IStringLocalizer l, string status) => status switch
    {
        "Draft" => l["作成中"],
        "Returned" => l["差戻し"],
        "Submitted" => l["提出済"],
        "SectionApproved" => l["課長承認済"],
        "DepartmentApproved" => l["部長承認済"],
        "InConsultation" => l["合議中"],
        "Accepted" => l["受理済"],
        _ => status,
    };

    /// <summary>The badge's tone (a CSS modifier); the text and an icon carry the meaning.</summary>
    public static string StatusTone(string status) => status switch
    {
        "Draft" => "neutral",
        "Returned" => "error",
        "Accepted" => "success",
        _ => "info",
    };

    public static string Role(IStringLocalizer l, Role role) => role switch
    {
        Workflows.Organisation.Role.Staff => l["担当"],
        Workflows.Organisation.Role.SectionChief => l["課長"],
        Workflows.Organisation.Role.DepartmentHead => l["部長"],
        Workflows.Organisation.Role.HqReviewer => l["推進本部事務局"],
        Workflows.Organisation.Role.HqAdmin => l["推進本部事務局（管理者）"],
        Workflows.Organisation.Role.Committee => l["推進委員会委員"],
        Workflows.Organisation.Role.Auditor => l["監査"],
        _ => role.ToString(),
    };

    public static string Progress(IStringLocalizer l, Workflows.Reports.Progress? progress) => progress switch
    {
        Workflows.Reports.Progress.OnTrack => l["順調"],
        Workflows.Reports.Progress.MostlyOnTrack => l["おおむね順調"],
        Workflows.Reports.Progress.Delayed => l["遅れ"],
        Workflows.Reports.Progress.NotStarted => l["未着手"],
        _ => l["未入力"],
    };

    public static string Action(IStringLocalizer l, string action) => action switch
    {
        "open" => l["開始"],
        "save" => l["一時保存"],
        "submit" => l["提出"],
        "recall" => l["引戻し"],
        "approve" => l["承認"],
        "return" => l["差戻し"],
        "accept" => l["受理"],
        "concur" => l["合議（同意）"],
        "object" => l["合議（異議）"],
        "comment" => l["意見"],
        "postReview" => l["後閲"],
        "correction" => l["軽微な修正"],
        _ => action,
    };

    /// <summary>令和7年5月29日 in Japanese, 29 May 2025 in English.</summary>
    public static string Date(DateOnly date)
    {
        if (!IsJapanese)
        {
            return date.ToString("d MMM yyyy", CultureInfo.GetCultureInfo("en-GB"));
        }

        var era = date >= new DateOnly(2019, 5, 1) ? ("令和", 2018) : date >= new DateOnly(1989, 1, 8) ? ("平成", 1988) : ("", 0);
        var year = date.Year - era.Item2;
        var yearText = era.Item1.Length > 0 && year == 1 ? "元" : year.ToString(CultureInfo.InvariantCulture);
        return $"{era.Item1}{yearText}年{date.Month}月{date.Day}日";
    }

    /// <summary>A UTC instant as a Japan date and time.</summary>
    public static string Instant(DateTime utc)
    {
        var japan = TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), FiscalYear.Japan);
        return $"{Date(DateOnly.FromDateTime(japan))} {japan:HH:mm}";
    }

    public static string JapanIso(DateTime utc) =>
        new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>令和7年度 (FY2025) in Japanese, FY2025 in English.</summary>
    public static string FiscalYearLabel(int year) => IsJapanese ? new FiscalYear(year).ReiwaLabel : $"FY{year.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>An outline code (1.1.1) or an organisation slug (gyosei-keiei) as a filter value; anything else is ignored.</summary>
    public static bool IsCode(string? value) => value is { Length: > 0 and <= 64 } && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-');

    public static string Number(int value) => value.ToString("N0", CultureInfo.CurrentCulture);

    public static string Number(decimal value) => value.ToString("#,##0.##", CultureInfo.CurrentCulture);
}
