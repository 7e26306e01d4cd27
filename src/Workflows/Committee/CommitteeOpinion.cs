namespace AomoriReform.Workflows.Committee;

/// <summary>
/// An opinion (意見) of the reform promotion committee (推進委員会, outside experts) on one fiscal
/// year's progress: on a measure, on an item, or (neither code) on the whole year. It feeds the next
/// year's work: the following year's report form shows it to the drafting section.
/// </summary>
public sealed class CommitteeOpinion
{
    public Guid Id { get; set; }
    public int FiscalYear { get; set; }

    /// <summary>The measure it is about, or null.</summary>
    public string? MeasureCode { get; set; }

    /// <summary>The item it is about, or null (never both: an opinion has one subject).</summary>
    public string? ItemCode { get; set; }
    public required string Text { get; set; }
    public required string AuthorId { get; set; }
    public required string Author { get; set; }
    public DateTime At { get; set; }
}

/// <summary>
/// HQ's response (対応方針) to an opinion. Revising it appends a new revision: the latest is the
/// response, the earlier ones stay (and each is in the signed audit trail).
/// </summary>
public sealed class OpinionResponse
{
    public long Id { get; set; }
    public Guid OpinionId { get; set; }

    /// <summary>1 for the first response, then one more per revision (unique per opinion).</summary>
    public int Revision { get; set; }
    public required string Text { get; set; }
    public required string AuthorId { get; set; }
    public required string Author { get; set; }
    public DateTime At { get; set; }
}
