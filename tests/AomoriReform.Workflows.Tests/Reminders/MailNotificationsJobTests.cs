using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reminders;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Reminders;

public abstract class MailNotificationsJobTests(Profile profile) : IAsyncLifetime
{
    private readonly SmtpSink smtp = new();
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero), new Dictionary<string, string?>
        {
            ["Smtp:Host"] = "127.0.0.1",
            ["Smtp:Port"] = smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Smtp:UseStartTls"] = "false",
            ["Smtp:From"] = "AomoriReform <noreply@pref.example.jp>",
        });
        await services.ImportSamplesAsync("user,staff1@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n");
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await smtp.DisposeAsync();
    }

    [Fact]
    public async Task Each_notification_is_emailed_once_to_its_recipient()
    {
        services.Time.SetUtcNow(new DateTimeOffset(2026, 5, 15, 1, 0, 0, TimeSpan.Zero)); // 14 days before the due date, 10:00 in Japan
        await services.In<ReminderSweep, int>(sweep => sweep.RunAsync(CancellationToken.None));
        var notifications = await services.Db(db => db.Notifications.CountAsync());
        Assert.True(notifications > 0);

        var first = await services.In<MailNotificationsJob, int>(job => job.RunAsync(CancellationToken.None));
        var second = await services.In<MailNotificationsJob, int>(job => job.RunAsync(CancellationToken.None));

        Assert.Equal(notifications, first);
        Assert.Equal(0, second);
        Assert.Equal(notifications, smtp.Messages.Count);
        var gyosei = await services.Db(db => db.ProgressReports.CountAsync(r => r.SectionCode == "gyosei-keiei"));
        Assert.Equal(gyosei, smtp.Messages.Count(m => m.To == "staff1@pref.example.jp"));
        Assert.All(smtp.Messages, m => Assert.Contains("Subject:", m.Data, StringComparison.Ordinal));
        Assert.Equal(0, await services.Db(db => db.Notifications.CountAsync(n => n.EmailedAt == null)));
    }
}

public sealed class MailNotificationsJobTests_Embedded() : MailNotificationsJobTests(Profile.Embedded);

public sealed class MailNotificationsJobTests_Production() : MailNotificationsJobTests(Profile.Production);
