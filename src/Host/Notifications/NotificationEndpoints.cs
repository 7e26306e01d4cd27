using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reminders;

namespace AomoriReform.Host.Notifications;

public static class NotificationEndpoints
{
    /// <summary>The caller's reminders, escalations and returns, newest first, and marking one read (API.md).</summary>
    public static WebApplication MapNotifications(this WebApplication app)
    {
        var notifications = app.MapGroup("/api/notifications").WithTags("Notifications");
        notifications.MapGet("/", async (CurrentCaller current, NotificationInbox inbox, int? limit, CancellationToken cancellationToken) =>
            limit is < 1 or > Paging.MaxSize
                ? Results.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"must be between 1 and {Paging.MaxSize}"] })
                : Results.Ok(await inbox.ListAsync(current.UserId!, limit ?? 100, cancellationToken)))
            .RequireAuthorization(Policies.SignedIn)
            .WithSummary("The caller's reminders, escalations and returns, newest first")
            .Produces<IReadOnlyList<NotificationView>>();
        notifications.MapPost("/{id:guid}/read", async (Guid id, CurrentCaller current, NotificationInbox inbox, CancellationToken cancellationToken) =>
            (await inbox.MarkReadAsync(current.UserId!, id, cancellationToken)).ToResult(_ => TypedResults.NoContent()))
            .RequireAuthorization(Policies.SignedIn)
            .WithSummary("Marks one of the caller's notifications read")
            .Produces(StatusCodes.Status204NoContent);
        return app;
    }
}
