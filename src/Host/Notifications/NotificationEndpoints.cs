using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Reminders;

namespace AomoriReform.Host.Notifications;

public static class NotificationEndpoints
{
    /// <summary>The caller's reminders, escalations and returns, newest first, and marking one read (API.md).</summary>
    public static WebApplication MapNotifications(this WebApplication app)
    {
        var notifications = app.MapGroup("/api/notifications").WithTags("Notifications");
        notifications.MapGet("/", async (CurrentCaller current, NotificationInbox inbox, int? limit, CancellationToken cancellationToken) =>
            limit is < 1 or > 500
                ? Results.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["must be between 1 and 500"] })
                : Results.Ok(await inbox.ListAsync(current.UserId!, limit ?? 100, cancellationToken)))
            .RequireAuthorization(Policies.SignedIn);
        notifications.MapPost("/{id:guid}/read", async (Guid id, CurrentCaller current, NotificationInbox inbox, CancellationToken cancellationToken) =>
            (await inbox.MarkReadAsync(current.UserId!, id, cancellationToken)).ToResult(_ => TypedResults.NoContent()))
            .RequireAuthorization(Policies.SignedIn);
        return app;
    }
}
