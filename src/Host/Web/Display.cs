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
        "legalHold" => l["廃棄の停止（保存の指示）"],
        "legalHoldRelease" => l["廃棄の停止の解除"],
        "retentionExtend" => l["保存期間の延長"],
        "dispose" => l["廃棄"],
        "transfer" => l["移管"],
        _ => action,
    };

    /// <summary>Where a decided record stands in its retention (保存期間).</summary>
    public static string RetentionState(IStringLocalizer l, string state) => state switch
    {
        Workflows.Records.RetentionStates.Due => l["満了（決定待ち）"],
        Workflows.Records.RetentionStates.Held => l["廃棄を停止中"],
        Workflows.Records.RetentionStates.Kept => l["保存期間中"],
        Workflows.Records.RetentionStates.Disposed => l["廃棄済み"],
        _ => l["移管済み"],
    };

    public static string RetentionStateTone(string state) => state switch
    {
        Workflows.Records.RetentionStates.Due => "badge--review",
        Workflows.Records.RetentionStates.Held => "badge--error",
        Workflows.Records.RetentionStates.Kept => "badge--success",
        _ => "badge--neutral",
    };

    /// <summary>保存期間 as the plan gives it: 5年, 常用, or not set.</summary>
    public static string RetentionClass(IStringLocalizer l, string? retentionClass) => retentionClass switch
    {
        null => l["未設定"],
        Workflows.Calendar.Retention.Permanent => l["常用"],
        { } years => l["{0}年", years],
    };

    /// <summary>What happened, said as a finished act (承認しました), for a result list.</summary>
    public static string ActionDone(IStringLocalizer l, string action) => action switch
    {
        "approve" => l["承認しました"],
        "accept" => l["受理しました"],
        "concur" => l["合議に同意しました"],
        _ => l["完了しました"],
    };

    /// <summary>Is this entry a decision a deputy took for someone (代決), which that person reviews afterwards (後閲)?</summary>
    public static bool IsDeputyDecision(string action, string? onBehalfOf) =>
        onBehalfOf is not null && action is "approve" or "return" or "accept" or "concur" or "object";

    /// <summary>A step's place on the route as a word, never by colour or border alone.</summary>
    public static string StepState(IStringLocalizer l, string state) => state switch
    {
        "done" => l["完了"],
        "current" => l["いまここ"],
        "skipped" => l["省略"],
        _ => l["これから"],
    };

    /// <summary>
    /// A step's title as the route names it. The titles of the shipped routes have their English;
    /// a title an administrator wrote stays as written.
    /// </summary>
    public static string StepTitle(IStringLocalizer l, string title) => title switch
    {
        "担当課の作成・提出" => l["担当課の作成・提出"],
        "課長決裁" => l["課長決裁"],
        "課長審査" => l["課長審査"],
        "部長決裁" => l["部長決裁"],
        "関係課の合議" => l["関係課の合議"],
        "推進本部の審査・受理" => l["推進本部の審査・受理"],
        _ => title,
    };

    /// <summary>A role as the journal wrote it (its enum name), in words; null when the entry predates roles in the journal.</summary>
    public static string? RoleName(IStringLocalizer l, string? role) =>
        role is not null && Enum.TryParse<Workflows.Organisation.Role>(role, out var parsed) ? Role(l, parsed) : null;

    /// <summary>決裁区分: who decides a measure's report. The shipped classes have names; another class shows as its code.</summary>
    public static string ApprovalClass(IStringLocalizer l, string? approvalClass) => approvalClass switch
    {
        null => l["なし"],
        "section-chief" => l["課長専決"],
        "department-head" => l["部長専決"],
        "hq-head" => l["本部長決裁"],
        "vice-governor" => l["副知事決裁"],
        "governor" => l["知事決裁"],
        _ => approvalClass,
    };

    /// <summary>An amount of yen: 150,000,000円 in Japanese, ¥150,000,000 in English.</summary>
    public static string Yen(long yen) => IsJapanese
        ? $"{yen.ToString("N0", CultureInfo.InvariantCulture)}円"
        : $"¥{yen.ToString("N0", CultureInfo.InvariantCulture)}";

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
