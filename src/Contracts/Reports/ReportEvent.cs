namespace AomoriReform.Contracts.Reports;

/// <summary>
/// A progress report moved along its approval route. Consumers subscribe to the concrete
/// events below or, through MassTransit's polymorphic routing, to this base. The members are
/// init-only rather than required so that one publisher can fill in every kind alike.
/// </summary>
public abstract record ReportEvent
{
    public Guid ReportId { get; init; }
    public string MeasureCode { get; init; } = string.Empty;
    public string ItemCode { get; init; } = string.Empty;
    public string SectionCode { get; init; } = string.Empty;
    public string DepartmentCode { get; init; } = string.Empty;
    public int FiscalYear { get; init; }
    public string? FromStatus { get; init; }
    public string Status { get; init; } = string.Empty;

    /// <summary>The route step the report waits at after the action ("Accepted" once accepted).</summary>
    public string? StepId { get; init; }

    /// <summary>The report's version after the action: consumers apply each version once, in order.</summary>
    public int Version { get; init; }
    public string Actor { get; init; } = string.Empty;
    public string? OnBehalfOf { get; init; }
    public DateTime At { get; init; }

    /// <summary>
    /// The work tasks the action opened: who may act next, and by when (empty when it opened none, as on
    /// a concurrence that leaves other sections to concur, or once accepted). Added on 2026-12-05; it
    /// replaces <see cref="TaskAssigned"/>.
    /// </summary>
    public IReadOnlyList<OpenedTask> OpenedTasks { get; init; } = [];
}

/// <summary>A report was opened as Draft when its fiscal year's check-in opened.</summary>
public sealed record ReportOpened : ReportEvent;

/// <summary>The drafting section submitted the report.</summary>
public sealed record ReportSubmitted : ReportEvent;

/// <summary>引戻し: whoever acted last took the report back to their step before the next actor acted.</summary>
public sealed record ReportRecalled : ReportEvent;

/// <summary>A chief or head approved the report; it moves to the next step.</summary>
public sealed record ReportApproved : ReportEvent;

/// <summary>差戻し: an approver, HQ or a consulted section sent the report back, to the drafter or to an earlier step (<see cref="ReportEvent.StepId"/>).</summary>
public sealed record ReportReturned : ReportEvent;

/// <summary>合議: one consulted section concurred.</summary>
public sealed record ReportConcurred : ReportEvent;

/// <summary>HQ accepted the report; nothing in it changes any more.</summary>
public sealed record ReportAccepted : ReportEvent;
