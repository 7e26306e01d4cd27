using AomoriReform.Workflows.Persistence;
using Hangfire;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace AomoriReform.Workflows.Reminders;

public sealed class SmtpOptions
{
    /// <summary>The SMTP server; e-mail is off while it is empty.</summary>
    public string? Host { get; set; }
    public int Port { get; set; } = 587;
    public bool UseStartTls { get; set; } = true;
    public string? User { get; set; }
    public string? Password { get; set; }
    public string From { get; set; } = "AomoriReform <noreply@localhost>";

    /// <summary>Notifications older than this are not e-mailed any more (after a long outage, say).</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(3);
}

/// <summary>
/// Sends the e-mail copy of in-app notifications when an SMTP server is configured. It derives
/// what to send from the notifications not yet e-mailed and marks each right after sending; one
/// host at a time runs it (Hangfire's distributed lock), so a message goes out once — a crash
/// between sending and marking can repeat that one message, never more.
/// </summary>
public sealed partial class MailNotificationsJob(ReformDbContext db, TimeProvider time, IOptions<SmtpOptions> options, ILogger<MailNotificationsJob> logger)
{
    public const string Id = "mail-notifications";
    private const int BatchSize = 200;

    [DisableConcurrentExecution(timeoutInSeconds: 300)]
    [AutomaticRetry(Attempts = 0)]
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        if (string.IsNullOrWhiteSpace(smtp.Host))
        {
            return 0;
        }

        var since = time.GetUtcNow().UtcDateTime - smtp.MaxAge;
        var pending = await db.Notifications
            .Where(n => n.EmailedAt == null && n.At >= since)
            .OrderBy(n => n.At)
            .Take(BatchSize)
            .Join(db.Users, n => n.UserId, u => u.Id, (n, u) => new { Notification = n, u.Email, u.DisplayName })
            .ToListAsync(cancellationToken);
        if (pending.Count == 0)
        {
            return 0;
        }

        using var client = new SmtpClient();
        await client.ConnectAsync(smtp.Host, smtp.Port, smtp.UseStartTls ? SecureSocketOptions.StartTls : SecureSocketOptions.None, cancellationToken);
        if (!string.IsNullOrEmpty(smtp.User))
        {
            await client.AuthenticateAsync(smtp.User, smtp.Password ?? string.Empty, cancellationToken);
        }

        var sent = 0;
        foreach (var item in pending)
        {
            if (!string.IsNullOrEmpty(item.Email))
            {
                using var message = new MimeMessage();
                message.From.Add(MailboxAddress.Parse(smtp.From));
                message.To.Add(new MailboxAddress(item.DisplayName, item.Email));
                message.Subject = item.Notification.Text.Length > 120 ? item.Notification.Text[..120] : item.Notification.Text;
                message.Body = new TextPart("plain") { Text = $"{item.Notification.Text}\n\n（AomoriReform 行財政改革 進捗管理からの自動送信です）" };
                await client.SendAsync(message, cancellationToken);
                sent++;
            }

            item.Notification.EmailedAt = time.GetUtcNow().UtcDateTime;
            await db.SaveChangesAsync(cancellationToken);
        }

        await client.DisconnectAsync(quit: true, cancellationToken);
        LogSent(logger, sent);
        return sent;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "E-mailed {Count} notification(s)")]
    private static partial void LogSent(ILogger logger, int count);
}
