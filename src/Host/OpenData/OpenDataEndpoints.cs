using System.Globalization;
using System.Threading.RateLimiting;
using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.OpenData;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AomoriReform.Host.OpenData;

/// <summary>
/// Publications (HQ) and the anonymous open-data files (API.md, "Records"): stable addresses per
/// year, an ETag from the snapshot's hash with 304 on If-None-Match, public caching, and a rate
/// limit per client address (<c>OpenData:PermitsPerMinute</c>).
/// </summary>
public static class OpenDataEndpoints
{
    public sealed record PublishRequest(int? FiscalYear);

    /// <summary>The rate limiter's policy for the anonymous files and the residents' page.</summary>
    public static WebApplicationBuilder AddOpenDataLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddRateLimiter(limiter => limiter.AddPolicy<string, OpenDataRateLimit>(OpenDataRateLimit.Name));
        return builder;
    }

    public static WebApplication MapOpenData(this WebApplication app)
    {
        var publications = app.MapGroup("/api/publications").WithTags("Open data");
        publications.MapPost("/", PublishAsync).RequireAuthorization(Policies.HqAdmin)
            .WithSummary("Publishes a fiscal year's accepted reports as open data: a snapshot as they stand now (409 if the year is published already or has no accepted report)")
            .Produces<PublicationView>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        publications.MapDelete("/{fiscalYear:int}", WithdrawAsync).RequireAuthorization(Policies.HqAdmin)
            .WithSummary("Withdraws a year's publication: its files answer 404 at once; it may be published again")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        publications.MapGet("/", async (Publications service, CancellationToken cancellationToken) => TypedResults.Ok(await service.HistoryAsync(cancellationToken)))
            .RequireAuthorization(Policies.HqReaders)
            .WithSummary("Every publication, withdrawn ones too: who published or withdrew which year when, and the snapshot's hash");

        var files = app.MapGroup("/open-data").WithTags("Open data").AllowAnonymous().RequireRateLimiting(OpenDataRateLimit.Name);
        files.MapGet("/", ListAsync)
            .WithSummary("The published years and their files (anonymous)").Produces<IReadOnlyList<PublishedYear>>();
        files.MapGet("/{fiscalYear:int}/progress.csv", (int fiscalYear, HttpContext http, Publications service, IOptions<OpenDataOptions> options, CancellationToken cancellationToken) =>
                ServeAsync(fiscalYear, http, service, options.Value, f => (f.Csv, "text/csv; charset=utf-8", f.CsvTag, $"aomori-reform-progress-FY{fiscalYear}.csv"), cancellationToken))
            .WithSummary("A published year as CSV: UTF-8 with a BOM, CRLF, a header row of Japanese labels, one row per accepted report (anonymous)")
            .Produces(StatusCodes.Status200OK, contentType: "text/csv").Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        files.MapGet("/{fiscalYear:int}/progress.json", (int fiscalYear, HttpContext http, Publications service, IOptions<OpenDataOptions> options, CancellationToken cancellationToken) =>
                ServeAsync(fiscalYear, http, service, options.Value, f => (f.Json, "application/json; charset=utf-8", f.JsonTag, null), cancellationToken))
            .WithSummary("A published year as JSON: {fiscalYear, publishedAt, publisher, localGovernmentCode, license, measures: [...]} (anonymous)")
            .Produces<OpenDataSet>().Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        files.MapGet("/{fiscalYear:int}/fields.json", (int fiscalYear, HttpContext http, Publications service, IOptions<OpenDataOptions> options, CancellationToken cancellationToken) =>
                ServeAsync(fiscalYear, http, service, options.Value, f => (f.Fields, "application/json; charset=utf-8", f.FieldsTag, null), cancellationToken))
            .WithSummary("The field dictionary of a published year: each field's JSON name, CSV header, type and meaning, and how the CSV is written (anonymous)")
            .Produces<FieldGuide>().Produces(StatusCodes.Status304NotModified).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        // Anything else under /open-data is not found for anyone (rather than a sign-in challenge).
        files.MapGet("/{**rest}", (string? rest) => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found",
                detail: "No such open-data file. GET /open-data lists the published years and their files."))
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> PublishAsync(PublishRequest request, CurrentCaller current, Publications service, CancellationToken cancellationToken) =>
        (await service.PublishAsync(await current.RequireAsync(cancellationToken), request.FiscalYear, cancellationToken))
            .ToResult(publication => TypedResults.Created($"/open-data/{publication.FiscalYear.ToString(CultureInfo.InvariantCulture)}/progress.json", publication));

    private static async Task<IResult> WithdrawAsync(int fiscalYear, CurrentCaller current, Publications service, CancellationToken cancellationToken) =>
        (await service.WithdrawAsync(await current.RequireAsync(cancellationToken), fiscalYear, cancellationToken)).ToResult(_ => TypedResults.NoContent());

    private static async Task<IResult> ListAsync(HttpContext http, Publications service, IOptions<OpenDataOptions> options, CancellationToken cancellationToken)
    {
        var years = await service.PublishedAsync(cancellationToken);
        Public(http, options.Value);
        return TypedResults.Ok(years);
    }

    /// <summary>A file of the year's current publication, or 404; the framework answers 304 when If-None-Match names its ETag.</summary>
    private static async Task<IResult> ServeAsync(
        int fiscalYear, HttpContext http, Publications service, OpenDataOptions options,
        Func<OpenDataFiles, (byte[] Content, string ContentType, string Tag, string? DownloadName)> pick, CancellationToken cancellationToken)
    {
        if (await service.FilesAsync(fiscalYear, cancellationToken) is not { } files)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not published",
                detail: $"FY{fiscalYear} is not published as open data. GET /open-data lists the published years.");
        }

        var (content, contentType, tag, downloadName) = pick(files);
        Public(http, options);
        return TypedResults.Bytes(content, contentType, downloadName,
            lastModified: new DateTimeOffset(files.Set.PublishedAt, TimeSpan.Zero), entityTag: new EntityTagHeaderValue(tag));
    }

    /// <summary>Anyone may keep and share the answer for a while, and read it from another site's script.</summary>
    private static void Public(HttpContext http, OpenDataOptions options)
    {
        http.Response.Headers.CacheControl = $"public, max-age={options.CacheSeconds.ToString(CultureInfo.InvariantCulture)}";
        http.Response.Headers.AccessControlAllowOrigin = "*";
    }
}

/// <summary>
/// A fixed one-minute window per client address (as the forwarded-headers rule sees it) for the
/// anonymous files and the residents' page. Over it: 429 with <c>Retry-After</c>, as problem details
/// for the files and as the error page for the page. Per host, like the sign-in throttle.
/// </summary>
public sealed class OpenDataRateLimit(IOptions<OpenDataOptions> options) : IRateLimiterPolicy<string>
{
    public const string Name = "open-data";

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = async (context, _) =>
    {
        var seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 60;
        var http = context.HttpContext;
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (AomoriReform.Host.Web.WebExtensions.IsUi(http.Request))
        {
            // The page's error page is rendered by the status code pages, in the person's language.
            return;
        }

        await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"This address made more than {http.RequestServices.GetRequiredService<IOptions<OpenDataOptions>>().Value.PermitsPerMinute} requests in a minute. Wait {seconds} seconds.").ExecuteAsync(http);
    };

    public RateLimitPartition<string> GetPartition(HttpContext httpContext) => RateLimitPartition.GetFixedWindowLimiter(
        httpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown",
        _ => new FixedWindowRateLimiterOptions { PermitLimit = options.Value.PermitsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
}
