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

/// <summary>
/// How many projected reports are in one group (fiscal year, item, section, department, status,
/// due date): the rollups add these up instead of counting every report, so a dashboard reads a
/// thousand groups rather than a hundred thousand rows. The projection consumer keeps them in step
/// with the rows it changes, in the same transaction; a rebuild recounts them. The due date is in the
/// key because what is overdue depends on the day the rollup is read.
/// </summary>
public sealed class RollupCount
{
    public int FiscalYear { get; set; }
    public required string ItemCode { get; set; }
    public required string SectionCode { get; set; }
    public required string DepartmentCode { get; set; }
    public required string Status { get; set; }
    public DateOnly DueDate { get; set; }
    public int Reports { get; set; }
}
