using AomoriReform.Contracts.Reminders;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Recipients = System.Collections.Generic.Dictionary<(AomoriReform.Workflows.Organisation.Role? Role, string? Section, string? Department, string? User), System.Collections.Generic.List<string>>;

namespace AomoriReform.Workflows.Reminders;

/// <summary>
/// The reminder and escalation sweep (a Hangfire recurring job). It derives what is due from
/// the database — open tasks, their route's reminder offsets, the clock — and records what it
/// sent, so running it twice, on two hosts at once, or after a week of downtime sends every
/// reminder and escalation exactly once and catches up. Reminders go at 09:00 Japan time on the
/// day; a task is overdue from the day after its due date: level 1 goes to the section chief,
/// level 2 (a week later) to HQ. On a step whose route counts business days, the offsets skip the
/// days the offices are closed (閉庁日): a reminder "2 days before" goes two business days before,
/// an escalation on the next business day. A 後閲 (a principal's review of a deputy's decision) gets
/// one reminder, to the principal, on its due date; HQ follows the overdue ones on its own list.
/// A run records its reminders in batches and paces itself against the outbox's dispatcher
/// (<see cref="OutboxPace"/>), so that its thousands of events do not hold up the approvals' events
/// and the rollups behind them.
/// </summary>
public sealed partial class ReminderSweep(
    ReformDbContext db, RouteCatalog routes, Outbox outbox, OutboxPace pace, TimeProvider time, ClosedDays closedDays, ILogger<ReminderSweep> logger)
{
    public const string Id = "reminder-sweep";

    /// <summary>Every 15 minutes; <c>Reminders:SweepSchedule</c> changes it.</summary>
    public const string DefaultSchedule = "*/15 * * * *";
    public const int SecondEscalationDays = 7;
    private static readonly TimeOnly ReminderHour = new(9, 0);

    /// <summary>How many reminders one transaction records: a sweep after a deadline sends thousands.</summary>
    public const int BatchSize = 100;

    private sealed record Due(WorkTask Task, ReportFacts Report, NotificationKind Kind, int Key, DateTime At);

    // What a reminder says of its report: a sweep after a deadline reads tens of thousands, so not their content.
    private sealed record ReportFacts(Guid Id, Guid MeasureId, string MeasureCode, string SectionCode, int FiscalYear, string Status, string RouteName, int RouteVersion);

    [AutomaticRetry(Attempts = 3)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var today = FiscalYear.JapanDate(time.GetUtcNow());
        var horizon = today.AddDays(31);
        var candidates = await db.WorkTasks.AsNoTracking()
            .Where(t => t.State == WorkTaskState.Open && t.DueDate <= horizon)
            .Join(db.ProgressReports.AsNoTracking(), t => t.ReportId, r => r.Id,
                (t, r) => new { Task = t, Report = new ReportFacts(r.Id, r.MeasureId, r.MeasureCode, r.SectionCode, r.FiscalYear, r.Status, r.RouteName, r.RouteVersion) })
            .ToListAsync(cancellationToken);
        var taskIds = candidates.Select(c => c.Task.Id).ToList();
        var sent = await RecordedAsync(taskIds, cancellationToken);

        var due = new List<Due>();
        foreach (var (task, report) in candidates.Select(c => (c.Task, c.Report)))
        {
            if (task.Kind == WorkTaskKind.PostReview)
            {
                var on = FiscalYear.JapanToUtc(task.DueDate, ReminderHour);
                if (now >= on && !sent.Contains((task.Id, NotificationKind.Reminder, 0)))
                {
                    due.Add(new Due(task, report, NotificationKind.Reminder, 0, on));
                }

                continue;
            }

            var route = await routes.GetAsync(report.RouteName, report.RouteVersion, cancellationToken);
            var step = route?.Steps.FirstOrDefault(s => s.Id == task.StepId);
            var business = step?.BusinessDays == true;
            foreach (var days in step?.Reminders ?? [])
            {
                var at = FiscalYear.JapanToUtc(business ? closedDays.SubtractBusinessDays(task.DueDate, days) : task.DueDate.AddDays(-days), ReminderHour);
                if (now >= at && task.CreatedAt < at && !sent.Contains((task.Id, NotificationKind.Reminder, days)))
                {
                    due.Add(new Due(task, report, NotificationKind.Reminder, days, at));
                }
            }

            for (var level = 1; level <= 2; level++)
            {
                var day = business
                    ? level == 1 ? closedDays.NextBusinessDay(task.DueDate) : closedDays.AddBusinessDays(closedDays.NextBusinessDay(task.DueDate), 5)
                    : task.DueDate.AddDays(1 + (level - 1) * SecondEscalationDays);
                var at = FiscalYear.JapanToUtc(day, TimeOnly.MinValue);
                if (now >= at && !sent.Contains((task.Id, NotificationKind.Escalation, level)))
                {
                    due.Add(new Due(task, report, NotificationKind.Escalation, level, at));
                }
            }
        }

        // What every message needs is read once per run, not once per message: the measures' titles
        // and each distinct set of recipients.
        var measureIds = due.Select(d => d.Report.MeasureId).Distinct().ToList();
        var titles = await db.Measures.AsNoTracking().Where(m => measureIds.Contains(m.Id)).ToDictionaryAsync(m => m.Id, m => m.Title, cancellationToken);
        var recipients = new Recipients();
        var done = 0;
        var batches = due.OrderBy(d => d.At).Chunk(BatchSize).ToList();
        var paced = pace.Enabled;
        for (var i = 0; i < batches.Count; i++)
        {
            done += await SendAsync(batches[i], now, titles, recipients, cancellationToken);
            // The next batch waits until the dispatcher has caught up, so other writers' events wait
            // behind one batch at most; after the last batch there is nothing to hold back.
            if (paced && i < batches.Count - 1 && !await pace.WaitAsync(db, BatchSize, cancellationToken))
            {
                paced = false;
                LogPacingStopped(logger, batches.Count - i - 1);
            }
        }

        return done;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reminder sweep: no outbox event was sent within Outbox:PaceLimit (no dispatcher running?); the remaining {Batches} batch(es) go without pacing")]
    private static partial void LogPacingStopped(ILogger logger, int batches);

    /// <summary>
    /// Records and sends a batch of reminders and escalations in one transaction; returns how many
    /// it sent. When another sweep (another host) recorded some of them first, the transaction
    /// fails on their keys; those are left out and the rest is tried again.
    /// </summary>
    private async Task<int> SendAsync(IReadOnlyList<Due> batch, DateTime now, Dictionary<Guid, string> titles,
        Recipients recipients, CancellationToken cancellationToken)
    {
        var pending = batch.ToList();
        while (pending.Count > 0)
        {
            foreach (var item in pending)
            {
                await AddAsync(item, now, titles, recipients, cancellationToken);
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
                // Nothing stays tracked: every later SaveChanges would scan what an earlier one saved.
                db.ChangeTracker.Clear();
                return pending.Count;
            }
            catch (DbUpdateException)
            {
                db.ChangeTracker.Clear();
                var recorded = await RecordedAsync(pending.Select(p => p.Task.Id).ToList(), cancellationToken);
                var rest = pending.Where(p => !recorded.Contains((p.Task.Id, p.Kind, p.Key))).ToList();
                if (rest.Count == pending.Count)
                {
                    // Not a race with another sweep.
                    throw;
                }

                pending = rest;
            }
        }

        return 0;
    }

    /// <summary>The reminders and escalations already recorded for these tasks, by any sweep.</summary>
    private async Task<HashSet<(Guid TaskId, NotificationKind Kind, int Key)>> RecordedAsync(List<Guid> taskIds, CancellationToken cancellationToken) =>
        (await db.SentReminders.AsNoTracking().Where(s => taskIds.Contains(s.TaskId)).Select(s => new { s.TaskId, s.Kind, s.Key }).ToListAsync(cancellationToken))
            .Select(s => (s.TaskId, s.Kind, s.Key))
            .ToHashSet();

    /// <summary>Adds one reminder or escalation to the unit of work: its record, its notifications and its event.</summary>
    private async Task AddAsync(Due item, DateTime now, Dictionary<Guid, string> titles,
        Recipients recipientCache, CancellationToken cancellationToken)
    {
        var (task, report) = (item.Task, item.Report);
        var title = titles.GetValueOrDefault(report.MeasureId, string.Empty);
        var label = new FiscalYear(report.FiscalYear).ReiwaLabel;
        var due = task.DueDate.ToString("yyyy/MM/dd", System.Globalization.CultureInfo.InvariantCulture);
        var (role, section, department) = item.Kind == NotificationKind.Reminder
            ? (task.AssigneeRole, task.AssigneeSectionCode, task.AssigneeDepartmentCode)
            : item.Key == 1 ? (Role.SectionChief, report.SectionCode, (string?)null) : (Role.HqReviewer, null, null);
        var audience = task.Kind == WorkTaskKind.PostReview ? ((Role?)null, (string?)null, (string?)null, task.AssigneeUserId) : (role, section, department, (string?)null);
        if (!recipientCache.TryGetValue(audience, out var recipients))
        {
            recipients = task.Kind == WorkTaskKind.PostReview
                ? await db.Users.AsNoTracking().Where(u => u.IsActive && u.Id == task.AssigneeUserId).Select(u => u.Id).ToListAsync(cancellationToken)
                : await db.Users.AsNoTracking()
                    .Where(u => u.IsActive && u.Role == role && (section == null || u.SectionCode == section) && (department == null || u.DepartmentCode == department))
                    .Select(u => u.Id)
                    .ToListAsync(cancellationToken);
            recipientCache[audience] = recipients;
        }

        var text = task.Kind == WorkTaskKind.PostReview
            ? $"【後閲】{label} {report.MeasureCode} {title}：代理の方が決裁しました。内容を確認してください（期限 {due}）"
            : item.Kind == NotificationKind.Reminder
            ? $"【リマインド】{label} {report.MeasureCode} {title}：期限 {due}（あと{item.Key}日）"
            : $"【督促{(item.Key == 1 ? string.Empty : "・本部")}】{label} {report.MeasureCode} {title}：期限 {due} を過ぎています（{report.Status}）";

        db.SentReminders.Add(new SentReminder { TaskId = task.Id, Kind = item.Kind, Key = item.Key, SentAt = now });
        foreach (var userId in recipients)
        {
            db.Notifications.Add(new Notification
            {
                Id = Guid.CreateVersion7(time.GetUtcNow()), UserId = userId, At = now, Kind = item.Kind, ReportId = report.Id, Text = text,
            });
        }

        if (item.Kind == NotificationKind.Reminder)
        {
            outbox.Add(new TaskReminded
            {
                TaskId = task.Id, ReportId = report.Id, MeasureCode = report.MeasureCode, FiscalYear = report.FiscalYear,
                DaysBeforeDue = item.Key, Recipients = recipients.Count, At = now,
            }, report.Id.ToString("N"));
        }
        else
        {
            outbox.Add(new TaskEscalated
            {
                TaskId = task.Id, ReportId = report.Id, MeasureCode = report.MeasureCode, FiscalYear = report.FiscalYear,
                Level = item.Key, EscalatedToRole = role.ToString(), Recipients = recipients.Count, At = now,
            }, report.Id.ToString("N"));
        }
    }
}
