using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace AomoriReform.Workflows.OpenData;

/// <summary>
/// One published year: who publishes (the prefecture, with its local government code), under which
/// licence, when, and one record per accepted report. No personal names, e-mail addresses or
/// internal comments: only the plan's codes and titles, the owning department and section, and what
/// the section reported as its public summary.
/// </summary>
public sealed record OpenDataSet(
    int FiscalYear, DateTime PublishedAt, string Publisher, string LocalGovernmentCode, string License, IReadOnlyList<OpenDataMeasure> Measures)
{
    /// <summary>How the dataset is written, stored and served: camelCase, Japanese as it is, dates ISO 8601.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        WriteIndented = false,
    };
}

/// <summary>One accepted report of the year: a measure (取組), where it sits in the plan, who carries it, how it went.</summary>
public sealed record OpenDataMeasure(
    int FiscalYear,
    string ViewpointCode, string ViewpointTitle, string AreaCode, string AreaTitle, string ItemCode, string ItemTitle,
    string MeasureCode, string MeasureTitle,
    string DepartmentCode, string DepartmentName, string SectionCode, string SectionName,
    string? Progress, string? ProgressLabel, string? Achievements, string? NextSteps, DateOnly? AcceptedOn,
    IReadOnlyList<OpenDataIndicator> Indicators);

/// <summary>An indicator (指標) with its target (目標値) for the year and the actual (実績値) reported.</summary>
public sealed record OpenDataIndicator(string Code, string Title, string Unit, decimal? Target, decimal? Actual);

/// <summary>A published year as anyone may list it: no names.</summary>
public sealed record PublishedYear(int FiscalYear, DateTime PublishedAt, int Measures, string Csv, string Json, string Fields);

/// <summary>A publication as HQ sees it, withdrawn ones included.</summary>
public sealed record PublicationView(
    Guid Id, int FiscalYear, DateTime PublishedAt, string PublishedBy, DateTime? WithdrawnAt, string? WithdrawnBy, int Measures, int Redactions, string Sha256)
{
    public bool Current => WithdrawnAt is null;
}
