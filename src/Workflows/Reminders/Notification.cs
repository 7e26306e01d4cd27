namespace AomoriReform.Workflows.Reminders;

public enum NotificationKind
{
    Reminder,
    Escalation,
    Returned,
}

/// <summary>An in-app notification for one user: a reminder, an escalation or a returned report.</summary>
public sealed class Notification
{
    public Guid Id { get; set; }
    public required string UserId { get; set; }
    public DateTime At { get; set; }
    public NotificationKind Kind { get; set; }
    public Guid ReportId { get; set; }
    public required string Text { get; set; }
    public DateTime? ReadAt { get; set; }

    /// <summary>When the e-mail copy went out; null while unsent or when no SMTP server is configured.</summary>
    public DateTime? EmailedAt { get; set; }
}

/// <summary>
/// What the sweep has sent: one row per task, kind and offset (days before due for a reminder,
/// the level for an escalation). Its key makes each one go out once, on any number of hosts.
/// </summary>
public sealed class SentReminder
{
    public Guid TaskId { get; set; }
    public NotificationKind Kind { get; set; }
    public int Key { get; set; }
    public DateTime SentAt { get; set; }
}
