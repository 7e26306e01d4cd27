using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Jobs;
using AomoriReform.Workflows.Persistence;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Reports;

public static class ReportsExtensions
{
    /// <summary>Progress reports on their routes: the actions, the inbox and lists, the signed journal and its daily checkpoint.</summary>
    public static IHostApplicationBuilder AddReports(this IHostApplicationBuilder builder)
    {
        // The journal's signing keys come from the settings (or the embedded default's key file);
        // read here, before anything starts, so a missing or malformed key stops start-up with one line.
        builder.Services.AddSingleton(JournalKeys.From(builder.Configuration, builder.GetReformProfile(), builder.Environment));
        builder.Services.AddSingleton<IStartupTask, JournalUpgrade>();
        builder.Services.AddRecurringJob<JournalCheckpointJob>(JournalCheckpointJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Daily(2, 30));
        builder.Services.AddRecurringJob<IdempotencyRetentionJob>(IdempotencyRetentionJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Daily(3, 15));
        builder.Services.AddOptions<ReportOptions>().BindConfiguration("Reports")
            .Validate(o => o.PostReviewBusinessDays is >= 0 and <= 60, "Reports:PostReviewBusinessDays must be a whole number of business days from 0 to 60")
            .Validate(o => o.IdempotencyDays is >= 1 and <= 365, "Reports:IdempotencyDays must be a whole number of days from 1 to 365")
            .Validate(o => o.MaxConcurrentActions is null or (>= 1 and <= 1024), "Reports:MaxConcurrentActions must be a whole number from 1 to 1024 (unset: no limit)")
            .ValidateOnStart();
        // Records replaces it with the attachments it keeps.
        builder.Services.TryAddScoped<IReportAttachments, NoReportAttachments>();
        builder.Services.AddSingleton<ActionAdmission>();
        builder.Services.AddScoped<ReportWorkflow>();
        builder.Services.AddScoped<ReportNotes>();
        builder.Services.AddScoped<ReportChanges>();
        builder.Services.AddScoped<BulkActions>();
        builder.Services.AddScoped<PostReviewQueries>();
        builder.Services.AddScoped<ReportQueries>();
        builder.Services.AddScoped<ReportDetails>();
        return builder;
    }
}
