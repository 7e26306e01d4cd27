using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.Mvc;

namespace AomoriReform.Host.Api;

/// <summary>
/// While the database restarts or cannot be reached (or the embedded database's disk is full), a
/// request fails at once with 503 and Retry-After instead of a 500: the API as problem+json, a page
/// as the "temporarily unavailable" page. Nothing waits for the database to come back; the host
/// recovers by itself (its connection pool opens new connections once the database answers).
/// </summary>
public static partial class StorageOutageAnswers
{
    public static IApplicationBuilder UseStorageOutageAnswers(this IApplicationBuilder app, bool asProblem) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (StorageOutage.Is(e) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StorageOutageAnswers));
            Unavailable(logger, context.Request.Method, context.Request.Path, e.GetType().Name, e.Message);
            context.Response.Clear();
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = StorageOutage.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (asProblem)
            {
                var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status503ServiceUnavailable,
                        Title = "The database is unavailable",
                        Detail = $"The database could not be reached or could not write; try again in {StorageOutage.RetryAfterSeconds} s. "
                            + "An action sent with an Idempotency-Key is safe to repeat with the same key.",
                    },
                });
            }
        }
    });

    [LoggerMessage(Level = LogLevel.Warning, Message = "503 for {Method} {Path}: the database is unavailable ({Type}: {Reason})")]
    private static partial void Unavailable(ILogger logger, string method, string path, string type, string reason);
}
