using AomoriReform.Workflows.Jobs;
using AomoriReform.Workflows.Reports;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Records;

public sealed class RecordsOptions
{
    /// <summary>A TrueType-outline Japanese .ttf for the PDFs; unset, Debian's IPAex Gothic and the like are looked for.</summary>
    public string? PdfFontFile { get; set; }
}

public static class RecordsExtensions
{
    /// <summary>The decision record (決裁文書) as a PDF.</summary>
    public static IHostApplicationBuilder AddDecisionRecords(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RecordsOptions>().BindConfiguration("Records")
            .Validate(o => string.IsNullOrWhiteSpace(o.PdfFontFile) || File.Exists(o.PdfFontFile), "Records:PdfFontFile names a file that does not exist.")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new DecisionRecordPdf(sp.GetRequiredService<IOptions<RecordsOptions>>().Value.PdfFontFile));
        return builder;
    }

    /// <summary>
    /// The records of reports: evidence attachments (stored in the shared database), the journal's
    /// view of them, corrections after acceptance, the decision record built from a report and the
    /// fiscal year's export. Call after <c>AddReports</c> and <see cref="AddDecisionRecords"/>.
    /// </summary>
    public static IHostApplicationBuilder AddRecords(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AttachmentOptions>().BindConfiguration("Records")
            .Validate(o => o.MaxFileBytes is >= 1024 and <= 1L << 30, "Records:MaxFileBytes must be a number of bytes from 1024 to 1073741824 (1 GiB)")
            .Validate(o => o.MaxReportBytes >= o.MaxFileBytes && o.MaxReportBytes <= 100L << 30, "Records:MaxReportBytes must be at least Records:MaxFileBytes and at most 107374182400 (100 GiB)")
            .ValidateOnStart();
        builder.Services.AddSingleton<IAttachmentStore, DatabaseAttachmentStore>();
        builder.Services.Replace(ServiceDescriptor.Scoped<IReportAttachments, AttachmentManifest>());
        builder.Services.AddScoped<Attachments>();
        builder.Services.AddScoped<Corrections>();
        builder.Services.AddScoped<DecisionRecords>();
        builder.Services.AddScoped<RecordExport>();
        builder.Services.AddScoped<RetentionDecisions>();
        builder.Services.AddScoped<TransferPackages>();
        builder.Services.AddRecurringJob<RetentionReviewJob>(RetentionReviewJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Monthly(1, 6));
        builder.Services.AddRecurringJob<AttachmentSweepJob>(AttachmentSweepJob.Id, job => job.RunAsync(CancellationToken.None), Cron.Daily(4));
        return builder;
    }
}
