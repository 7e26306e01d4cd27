using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using AomoriReform.Host.Identity;
using AomoriReform.Host.Web;
using Scalar.AspNetCore;

namespace AomoriReform.Host.Api;

public static class ApiExtensions
{
    /// <summary>Request body limit for JSON requests (API.md: 1 MiB).</summary>
    public const long JsonBodyLimit = 1L << 20;

    /// <summary>Request body limit for plan and organisation files (API.md: 10 MiB).</summary>
    public const long FileBodyLimit = AomoriReform.Workflows.Files.ImportFile.MaxBytes;

    /// <summary>
    /// Request body limit for the admin import pages' posts (/admin/plan, /admin/organisation): the
    /// upload is a file of up to 10 MiB plus the form's other parts, and the apply post carries the
    /// checked file in base64 (4/3 of its size). A file over 10 MiB still reaches the page, which
    /// names the problem beside the field.
    /// </summary>
    public const long PageUploadBodyLimit = FileBodyLimit * 3 / 2 + (1L << 20);

    /// <summary>The largest form value: a 10 MiB file in base64 (the apply post's hidden field), with room to spare.</summary>
    public const int FormValueLimit = (int)(FileBodyLimit / 3 * 4) + (1 << 16);

    /// <summary>JSON as the contract wants it, RFC 9457 problem details for every error, OpenAPI.</summary>
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            // A number is a JSON number: "3" for a version is a wrong type (400), as API.md says.
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
        {
            // Never leak exception or type details to a client.
            context.ProblemDetails.Extensions.Remove("exception");
            context.ProblemDetails.Extensions.Remove("traceId");
            // No longer than the OpenAPI document promises.
            ApiLimits.Cut(context.ProblemDetails);
        });
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.AddForwardedClients();
        builder.AddRateLimits();
        builder.Services.AddOpenApi(OpenApiContract.Configure);
        builder.Services.AddHsts(hsts => hsts.MaxAge = TimeSpan.FromDays(365));
        builder.Services.Configure<FormOptions>(form =>
        {
            // A form part may be as large as the import pages' posts (the server limits the whole body).
            form.MultipartBodyLengthLimit = PageUploadBodyLimit;
            // Raised from 4 MiB so that the apply post's hidden field fits a 10 MiB file in base64.
            form.ValueLengthLimit = FormValueLimit;
        });
        // The report pages post attached files of up to Records:MaxFileBytes.
        builder.Services.AddOptions<FormOptions>().Configure<Microsoft.Extensions.Options.IOptions<AomoriReform.Workflows.Records.AttachmentOptions>>((form, records) =>
            form.MultipartBodyLengthLimit = Math.Max(form.MultipartBodyLengthLimit, AttachmentPageBodyLimit(records.Value)));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = FileBodyLimit;
        });
        return builder;
    }

    public static WebApplication UseApi(this WebApplication app)
    {
        app.UseForwardedClients();
        app.UseSecurityHeaders();
        app.UseWebUiErrors();
        app.UseWhen(context => !context.Request.IsUi(), api =>
        {
            api.UseExceptionHandler();
            api.UseStatusCodePages();
            api.UseStorageOutageAnswers(asProblem: true);
        });
        if (!app.Environment.IsDevelopment())
        {
            // Only on HTTPS requests, and never for localhost.
            app.UseHsts();
        }

        // Routing after the error pages, so that re-executing a request for /error/404 finds that page.
        app.UseRouting();
        app.UseWebUi();
        app.UseJsonBodyLimit();
        app.UseAuthentication();
        app.UseCookieRequestForgeryCheck();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapOpenApi().AllowAnonymous();
        if (app.Environment.IsDevelopment() || !app.Services.GetRequiredService<AomoriReform.Workflows.Hosting.ReformProfile>().UsesPostgres)
        {
            app.MapScalarApiReference().AllowAnonymous();
        }

        return app;
    }

    /// <summary>A report page's post: an attached file of up to Records:MaxFileBytes and the form's other fields.</summary>
    public static long AttachmentPageBodyLimit(AomoriReform.Workflows.Records.AttachmentOptions records) => records.MaxFileBytes + (1L << 20);

    /// <summary>
    /// JSON requests may carry 1 MiB; only endpoints marked <see cref="FileUpload"/> (the plan and
    /// organisation imports, the attachments) get their file's limit, the admin import pages' posts
    /// <see cref="PageUploadBodyLimit"/>, and the report pages' posts (which may carry an attached
    /// file) <see cref="AttachmentPageBodyLimit"/>. Over the limit is 413 before the body is read.
    /// </summary>
    private static WebApplication UseJsonBodyLimit(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var upload = context.GetEndpoint()?.Metadata.GetMetadata<FileUpload>();
            if (context.Request.Path.StartsWithSegments("/api"))
            {
                var limit = upload?.Limit(context) ?? JsonBodyLimit;
                if (context.Request.ContentLength > limit)
                {
                    await TooLarge(limit).ExecuteAsync(context);
                    return;
                }

                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
                {
                    size.MaxRequestBodySize = limit;
                }
            }
            else if (HttpMethods.IsPost(context.Request.Method) && UploadPageLimit(context) is { } pageLimit
                && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } page)
            {
                page.MaxRequestBodySize = pageLimit;
            }

            await next(context);
        });
        return app;
    }

    /// <summary>The body limit of a page that posts a file: the admin pages that post a file (plan, organisation, a route, approval rules), and a report's pages (attachments); null for the others.</summary>
    private static long? UploadPageLimit(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.Equals("/admin/plan", StringComparison.OrdinalIgnoreCase) || path.Equals("/admin/organisation", StringComparison.OrdinalIgnoreCase)
            || path.Equals("/admin/routes", StringComparison.OrdinalIgnoreCase) || path.Equals("/admin/approval-rules", StringComparison.OrdinalIgnoreCase))
        {
            return PageUploadBodyLimit;
        }

        var segments = path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return segments.Length is 2 or 3 && segments[0] == "reports" && Guid.TryParse(segments[1], out _) && (segments.Length == 2 || segments[2] == "edit")
            ? AttachmentPageBodyLimit(context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AomoriReform.Workflows.Records.AttachmentOptions>>().Value)
            : null;
    }

    /// <summary>Reads a raw request body up to a limit; null when it is larger (the caller answers 413).</summary>
    public static async Task<byte[]?> ReadBodyAsync(this HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    public static IResult TooLarge(long limit) => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request body too large",
        detail: limit >= 1 << 20 && limit % (1 << 20) == 0
            ? $"The body is larger than {limit / (1 << 20)} MiB."
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The body is larger than {limit} bytes ({limit / (double)(1 << 20):0.##} MiB)."));
}

/// <summary>
/// Malformed JSON, wrong types and unknown enum values become a 400 problem naming the
/// field (the JSON path), instead of a bare 400 or a 500.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var status = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
        var problem = new HttpValidationProblemDetails { Status = status };
        if (bad.InnerException is JsonException json)
        {
            var field = string.IsNullOrEmpty(json.Path) || json.Path == "$" ? "body" : json.Path.TrimStart('$', '.');
            problem.Title = "The request body is not valid";
            problem.Detail = $"'{field}' has a value of the wrong type or an unknown value, or the JSON is malformed.";
            problem.Errors[field] = ["wrong type, unknown value or malformed JSON"];
        }
        else
        {
            problem.Title = status == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request";
            problem.Detail = status == StatusCodes.Status413PayloadTooLarge ? "The body is over the limit." : "The request could not be read.";
            if (status == StatusCodes.Status400BadRequest)
            {
                problem.Errors["body"] = ["missing, empty or not JSON"];
            }
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = null });
    }
}

/// <summary>
/// Endpoint metadata: the body is a file, not JSON, of up to <see cref="ApiExtensions.FileBodyLimit"/>
/// unless the endpoint gives its own limit (read per request, e.g. from settings). A multipart upload
/// (a part named <see cref="MultipartPart"/>) says so, and states its default limit for the OpenAPI
/// document, which describes the product, not one host's settings.
/// </summary>
public sealed class FileUpload(Func<HttpContext, long>? limit = null, string? multipartPart = null, long? defaultLimit = null)
{
    public long Limit(HttpContext context) => limit?.Invoke(context) ?? ApiExtensions.FileBodyLimit;

    /// <summary>The form part that carries the file in a multipart/form-data body; null when the body is the file itself.</summary>
    public string? MultipartPart => multipartPart;

    /// <summary>The limit with the default settings, for the OpenAPI document.</summary>
    public long DocumentedLimit => defaultLimit ?? ApiExtensions.FileBodyLimit;
}
