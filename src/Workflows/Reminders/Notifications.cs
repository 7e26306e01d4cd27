using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reminders;

public sealed record NotificationView(Guid Id, DateTime At, string Kind, Guid ReportId, string Text, bool Read);

/// <summary>The caller's notifications, newest first, and marking one read.</summary>
public sealed class NotificationInbox(ReformDbContext db, TimeProvider time)
{
    public async Task<IReadOnlyList<NotificationView>> ListAsync(string userId, int limit, CancellationToken cancellationToken) =>
        await db.Notifications.AsNoTracking().Where(n => n.UserId == userId)
            .OrderByDescending(n => n.At).ThenByDescending(n => n.Id).Take(limit)
            .Select(n => new NotificationView(n.Id, n.At, n.Kind.ToString(), n.ReportId, n.Text, n.ReadAt != null))
            .ToListAsync(cancellationToken);

    /// <summary>Marks these of the caller's notifications read (the list page shows them, so they have been read).</summary>
    public async Task MarkReadAsync(string userId, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        await db.Notifications.Where(n => n.UserId == userId && n.ReadAt == null && ids.Contains(n.Id))
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), cancellationToken);
    }

    /// <summary>Not found when the notification is not the caller's.</summary>
    public async Task<Outcome<Done>> MarkReadAsync(string userId, Guid id, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (!await db.Notifications.AnyAsync(n => n.Id == id && n.UserId == userId, cancellationToken))
        {
            return Outcome.NotFound("No such notification.");
        }

        await db.Notifications.Where(n => n.Id == id && n.UserId == userId && n.ReadAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(n => n.ReadAt, now), cancellationToken);
        return Outcome.Done;
    }
}

/// <summary>Tells the drafting section's staff that their report was returned (差戻し), once per event.</summary>
public sealed class ReturnedReportNotifier(ReformDbContext db, TimeProvider time) : IdempotentConsumer(db, time), IConsumer<ReportReturned>
{
    public Task Consume(ConsumeContext<ReportReturned> context) => ConsumeOnceAsync(context, async cancellationToken =>
    {
        var e = context.Message;
        var title = await Db.Measures.Where(m => m.Code == e.MeasureCode).Select(m => m.Title).SingleOrDefaultAsync(cancellationToken);
        if (title is null)
        {
            return;
        }

        var staff = await Db.Users.AsNoTracking().Where(u => u.IsActive && u.Role == Role.Staff && u.SectionCode == e.SectionCode).Select(u => u.Id).ToListAsync(cancellationToken);
        foreach (var userId in staff)
        {
            Db.Notifications.Add(new Notification
            {
                Id = Guid.CreateVersion7(Time.GetUtcNow()), UserId = userId, At = e.At, Kind = NotificationKind.Returned, ReportId = e.ReportId,
                Text = $"【差戻し】{new FiscalYear(e.FiscalYear).ReiwaLabel} {e.MeasureCode} {title}：{e.Actor}さんから差し戻されました",
            });
        }
    });
}
