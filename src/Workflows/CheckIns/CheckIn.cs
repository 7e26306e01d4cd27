namespace AomoriReform.Workflows.CheckIns;

/// <summary>The yearly progress check (進捗点検) of one fiscal year; the year is the key, so it opens once.</summary>
public sealed class CheckIn
{
    public int FiscalYear { get; set; }
    public DateOnly DueDate { get; set; }
    public int ReportsOpened { get; set; }
    public DateTime OpenedAt { get; set; }
    public required string OpenedBy { get; set; }
}
