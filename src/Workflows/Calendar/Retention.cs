namespace AomoriReform.Workflows.Calendar;

/// <summary>
/// 保存期間: how long a decided report is kept. The plan gives each measure a class (1, 3, 5, 10 or 30
/// years, or 常用 for kept in use without end); the period counts from 1 April after the end of the
/// fiscal year of the decision (受理), as the records rules count it, so a report accepted in FY2025
/// with a 5-year class is kept until 31 March 2031.
/// </summary>
public static class Retention
{
    /// <summary>The class for records kept in use without a period (常用).</summary>
    public const string Permanent = "常用";

    /// <summary>The classes a plan may give, as the plan file writes them.</summary>
    public static readonly IReadOnlyList<string> Classes = ["1", "3", "5", "10", "30", Permanent];

    /// <summary>The longest class as stored (常用 is two characters, 30 two digits).</summary>
    public const int MaxLength = 8;

    public static bool IsClass(string value) => Classes.Contains(value, StringComparer.Ordinal);

    /// <summary>The last day a record of the class decided on a Japan date is kept; null for 常用 or no class.</summary>
    public static DateOnly? Until(string? retentionClass, DateOnly decidedOn) =>
        retentionClass is null || retentionClass == Permanent || !int.TryParse(retentionClass, out var years)
            ? null
            : new DateOnly(FiscalYear.Of(decidedOn).Year + years + 1, 3, 31);

    /// <summary>The same for a report accepted at a UTC instant (the Japan date of its acceptance counts).</summary>
    public static DateOnly? Until(string? retentionClass, DateTime acceptedAtUtc) =>
        Until(retentionClass, FiscalYear.JapanDate(new DateTimeOffset(DateTime.SpecifyKind(acceptedAtUtc, DateTimeKind.Utc))));
}
