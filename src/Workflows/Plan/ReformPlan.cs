namespace AomoriReform.Workflows.Plan;

/// <summary>
/// The action plan (行動計画) under the reform outline (行財政改革大綱): 5 viewpoints,
/// 13 areas, 35 items, and the measures (取組) that carry them out.
/// </summary>
public sealed class ReformPlan
{
    public Guid Id { get; set; }
    public required string Title { get; set; }
    public int FromFiscalYear { get; set; }
    public int ToFiscalYear { get; set; }
    public DateTime UpdatedAt { get; set; }

    public bool Covers(int fiscalYear) => fiscalYear >= FromFiscalYear && fiscalYear <= ToFiscalYear;
}

/// <summary>A viewpoint (視点) of the outline, code "1".."5".</summary>
public sealed class Viewpoint
{
    public required string Code { get; set; }
    public required string Title { get; set; }
    public int Order { get; set; }
}

/// <summary>An area (取組分野) under a viewpoint, code "1.1".</summary>
public sealed class Area
{
    public required string Code { get; set; }
    public required string Title { get; set; }
    public required string ViewpointCode { get; set; }
    public int Order { get; set; }
}

/// <summary>An item (取組項目) under an area, code "1.1.1"; measures hang under items.</summary>
public sealed class PlanItem
{
    public required string Code { get; set; }
    public required string Title { get; set; }
    public required string AreaCode { get; set; }
    public int Order { get; set; }
}

/// <summary>A measure (取組) of the action plan, owned by one section, checked every fiscal year.</summary>
public sealed class Measure
{
    public const string DefaultRoute = "progress-report";

    public Guid Id { get; set; }
    public required string Code { get; set; }
    public required string ItemCode { get; set; }
    public required string Title { get; set; }
    public required string OwnerSectionCode { get; set; }
    public Organisation.Section? OwnerSection { get; set; }

    /// <summary>The approval route (決裁ルート) its progress reports follow.</summary>
    public required string RouteName { get; set; }

    /// <summary>The sections that must concur on its reports (合議; co-owned measures), space-separated, for a route that consults "the measure's" sections.</summary>
    public string ConsultSections { get; set; } = string.Empty;

    /// <summary>How many of them must concur (a quorum); null: all.</summary>
    public int? ConsultRequired { get; set; }

    /// <summary>決裁区分: who decides its reports (e.g. section-chief for 課長専決), for the approval rules that choose the route.</summary>
    public string? ApprovalClass { get; set; }

    /// <summary>事業費: the measure's budget in yen, which approval rules may weigh (a larger budget, a higher decider); null when the plan gives none.</summary>
    public long? Budget { get; set; }

    /// <summary>保存期間 of its decided reports: 1, 3, 5, 10 or 30 (years) or 常用; null when the plan gives none.</summary>
    public string? RetentionClass { get; set; }
    public List<Indicator> Indicators { get; set; } = [];
}

/// <summary>An indicator (指標) of a measure with yearly targets (目標値).</summary>
public sealed class Indicator
{
    public required string Code { get; set; }
    public required string Title { get; set; }
    public required string Unit { get; set; }
    public SortedDictionary<int, decimal> Targets { get; set; } = [];
}
