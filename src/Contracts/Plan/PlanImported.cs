namespace AomoriReform.Contracts.Plan;

/// <summary>
/// The reform action plan (行動計画) was imported or re-imported. Consumers that keep
/// copies of the plan's shape (rollups, search) refresh them.
/// </summary>
public sealed record PlanImported
{
    public required Guid PlanId { get; init; }
    /// <summary>the plan period's first fiscal year</summary>
    public required int FromFiscalYear { get; init; }
    /// <summary>the plan period's last fiscal year</summary>
    public required int ToFiscalYear { get; init; }
    /// <summary>measures the import added</summary>
    public required IReadOnlyList<string> AddedMeasureCodes { get; init; }
    /// <summary>measures the import changed</summary>
    public required IReadOnlyList<string> ChangedMeasureCodes { get; init; }
    public required string Actor { get; init; }
    public required DateTime At { get; init; }
}
