namespace AomoriReform.Contracts.CheckIns;

/// <summary>The yearly progress check (進捗点検) of a fiscal year opened: one report per measure.</summary>
public sealed record CheckInOpened
{
    public required int FiscalYear { get; init; }
    public required DateOnly DueDate { get; init; }
    /// <summary>how many reports the opening created (one per measure)</summary>
    public required int ReportsOpened { get; init; }
    public required string Actor { get; init; }
    public required DateTime At { get; init; }
}
