namespace AomoriReform.Workflows.Reports;

/// <summary>
/// A security-relevant act outside a report's history (a deputy appointed or ended): one global,
/// append-only chain signed like the journal, checked by <c>/api/audit/verify</c>. Such acts are
/// rare, so one chain (a unique <see cref="Seq"/>) costs nothing.
/// </summary>
public sealed class AuditEvent
{
    public long Id { get; set; }

    /// <summary>Position in the chain, from 1; unique, so two concurrent appends cannot both take it.</summary>
    public int Seq { get; set; }
    public DateTime At { get; set; }
    public required string ActorId { get; set; }
    public required string Actor { get; set; }

    /// <summary>What happened, e.g. <c>deputy.appointed</c>, <c>deputy.ended</c>.</summary>
    public required string Kind { get; set; }

    /// <summary>What it happened to (an appointment's id).</summary>
    public required string Subject { get; set; }

    /// <summary>The facts as JSON (who, whose, dates, the principal's role and scope).</summary>
    public required string Details { get; set; }
    public required string KeyId { get; set; }
    public required string PreviousHash { get; set; }
    public required string Hash { get; set; }
}

/// <summary>
/// A signed snapshot of every report's chain head (and the audit chain's), written by a recurring
/// job and on demand. Verification checks the latest one: a report it lists that is gone, or whose
/// chain is shorter or differs at that length, is found even when the attacker fixed the report row.
/// </summary>
public sealed class JournalCheckpoint
{
    public long Id { get; set; }

    /// <summary>Position in the checkpoint chain, from 1 (unique).</summary>
    public int Seq { get; set; }
    public DateTime At { get; set; }
    public int ReportCount { get; set; }
    public long EntryCount { get; set; }

    /// <summary>One line per report, sorted by id: <c>reportId(N) length head</c>.</summary>
    public required string Heads { get; set; }

    /// <summary>SHA-256 of <see cref="Heads"/>, so older checkpoints verify without re-reading their lists.</summary>
    public required string HeadsHash { get; set; }
    public int AuditLength { get; set; }
    public required string AuditHead { get; set; }
    public required string KeyId { get; set; }
    public required string PreviousMac { get; set; }
    public required string Mac { get; set; }
}
