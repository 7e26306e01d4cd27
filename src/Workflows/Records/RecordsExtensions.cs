using Microsoft.Extensions.DependencyInjection;
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
}
