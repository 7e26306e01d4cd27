namespace AomoriReform.Contracts.Plan;

/// <summary>
/// The reform action plan (行動計画) was imported or re-imported. Consumers that keep
/// copies of the plan's shape (rollups, search) refresh them.
/// </summary>
public sealed record PlanImported
{
    public required Guid PlanId { get; init; }
    public required int FromFiscalYear { get; init; }
    public required int ToFiscalYear { get; init; }
    public required IReadOnlyList<string> AddedMeasureCodes { get; init; }
    public required IReadOnlyList<string> ChangedMeasureCodes { get; init; }
    public required string Actor { get; init; }
    public required DateTime At { get; init; }
}
