using AomoriReform.Workflows.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Reminders;

public static class RemindersExtensions
{
    /// <summary>Notifications (the bell), the reminder and escalation sweep, and the mail sender (<c>Smtp:*</c>).</summary>
    public static IHostApplicationBuilder AddReminders(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<NotificationInbox>();
        builder.Services.AddOptions<SmtpOptions>().BindConfiguration("Smtp");
        builder.Services.AddRecurringJob<ReminderSweep>(ReminderSweep.Id, job => job.RunAsync(CancellationToken.None),
            builder.Schedule("Reminders:SweepSchedule", ReminderSweep.DefaultSchedule));
        builder.Services.AddRecurringJob<MailNotificationsJob>(MailNotificationsJob.Id, job => job.RunAsync(CancellationToken.None), Hangfire.Cron.Minutely());
        return builder;
    }
}
