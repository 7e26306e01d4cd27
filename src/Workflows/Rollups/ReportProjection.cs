namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// HQ's read model of one report: where it stands, kept current by the report events and
/// rebuildable from the report table. Rollups are GROUP BY queries over these rows.
/// </summary>
public sealed class ReportProjection
{
    public Guid ReportId { get; set; }
    public int FiscalYear { get; set; }
    public required string MeasureCode { get; set; }
    public required string ItemCode { get; set; }
    public required string SectionCode { get; set; }
    public required string DepartmentCode { get; set; }
    public required string Status { get; set; }

    /// <summary>The report version this row reflects; older or repeated events do not apply.</summary>
    public int Version { get; set; }
    public DateOnly DueDate { get; set; }
    public DateTime UpdatedAt { get; set; }
}
