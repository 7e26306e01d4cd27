using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.OpenData;

/// <summary>Open data settings (<c>OpenData:*</c>).</summary>
public sealed class OpenDataOptions
{
    /// <summary>Requests per minute one client address may make to the anonymous open-data files and the residents' page.</summary>
    public int PermitsPerMinute { get; set; } = 120;

    /// <summary>How long browsers and proxies may keep a file without asking again (Cache-Control max-age).</summary>
    public int CacheSeconds { get; set; } = 300;

    /// <summary>The publisher's 全国地方公共団体コード (Aomori Prefecture: 020001).</summary>
    public string LocalGovernmentCode { get; set; } = "020001";

    /// <summary>The publisher's name as the data says it.</summary>
    public string Publisher { get; set; } = "青森県";

    /// <summary>The licence the data is published under (政府標準利用規約 2.0 is compatible with CC BY 4.0).</summary>
    public string License { get; set; } = "CC BY 4.0";
}

public static class OpenDataExtensions
{
    /// <summary>Publications of accepted reports as open data (オープンデータ) and their files.</summary>
    public static IHostApplicationBuilder AddOpenData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<OpenDataOptions>().BindConfiguration("OpenData")
            .Validate(o => o.PermitsPerMinute is >= 1 and <= 1_000_000, "OpenData:PermitsPerMinute must be a whole number from 1 to 1000000")
            .Validate(o => o.CacheSeconds is >= 0 and <= 86_400, "OpenData:CacheSeconds must be from 0 to 86400")
            .Validate(o => o.LocalGovernmentCode is { Length: 6 } code && code.All(char.IsAsciiDigit), "OpenData:LocalGovernmentCode must be the six digits of a 全国地方公共団体コード")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Publisher) && !string.IsNullOrWhiteSpace(o.License), "OpenData:Publisher and OpenData:License must not be empty")
            .ValidateOnStart();
        builder.Services.AddMemoryCache();
        builder.Services.AddScoped<Publications>();
        return builder;
    }
}
