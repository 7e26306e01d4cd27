using System.Text.Json;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>One report of a bulk action, at the version the person saw.</summary>
public sealed record BulkItem(Guid? Id, int? Version);

/// <summary>What happened to one item: done, conflict, forbidden or notFound, with the report's status and version after it.</summary>
public sealed record BulkResult(Guid Id, string Outcome, string? Status, int? Version, string? Detail);

public sealed record BulkResponse(IReadOnlyList<BulkResult> Results);

/// <summary>
/// 一括承認: a chief approves, or HQ accepts, many reports at once. Each item is its own action in
/// its own transaction (its own journal entry and events), with its own outcome; one item's
/// conflict does not undo another's approval. The request's Idempotency-Key covers the whole
/// list: each item acts under a key derived from it, so a repeat after a crash half-way through
/// finishes the rest and answers every item as the first time.
/// </summary>
public sealed class BulkActions(ReformDbContext db, ReportWorkflow workflow, TimeProvider time)
{
    public const int MaxItems = 500;

    /// <summary>The actions that may be taken in bulk: decisions that need no comment of their own.</summary>
    public static readonly IReadOnlyList<ReportAction> Allowed = [ReportAction.Approve, ReportAction.Accept, ReportAction.Concur];

    public async Task<Outcome<BulkResponse>> RunAsync(
        ReportAction action, IReadOnlyList<BulkItem>? items, string? comment, Caller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (!Allowed.Contains(action))
        {
            return Outcome.Invalid("action", $"one of {string.Join(", ", Allowed.Select(ReportWorkflow.Name))}; a return or a recall is decided one report at a time");
        }

        if (items is null || items.Count == 0)
        {
            return Outcome.Invalid("items", "required: at least one {id, version}");
        }

        if (items.Count > MaxItems)
        {
            return Outcome.Invalid("items", $"at most {MaxItems} items");
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { Id: not null, Version: not null })
            {
                return Outcome.Invalid($"items[{i}]", "each item needs an id and the version acted on");
            }

            if (items.Take(i).Any(x => x.Id == items[i].Id))
            {
                return Outcome.Invalid($"items[{i}].id", "the same report is listed twice");
            }
        }

        if (ReportWorkflow.CommentProblem(comment) is { } problem)
        {
            return Outcome.Invalid("comment", problem);
        }

        var key = idempotencyKey is null ? null : "bulk:" + ReportWorkflow.Hash(idempotencyKey);
        var requestHash = ReportWorkflow.Hash($"{ReportWorkflow.Name(action)}|{comment}|{string.Join(',', items.Select(i => $"{i.Id}:{i.Version}"))}");
        if (key is not null && await db.IdempotencyRecords.AsNoTracking().SingleOrDefaultAsync(r => r.UserId == caller.UserId && r.Key == key, cancellationToken) is { } record)
        {
            return record.RequestHash == requestHash
                ? Outcome.Ok(JsonSerializer.Deserialize<BulkResponse>(record.Response, ReportWorkflow.Json)!)
                : Outcome.Conflict("This Idempotency-Key was used for a different request.");
        }

        var results = new List<BulkResult>(items.Count);
        foreach (var item in items)
        {
            var id = item.Id!.Value;
            var outcome = await workflow.ActAsync(id, new ReportActionRequest(action, item.Version!.Value, comment), caller, idempotencyKey is null ? null : "item:" + ReportWorkflow.Hash($"{idempotencyKey}#{id:N}"), bulk: true, cancellationToken);
            db.ChangeTracker.Clear();
            results.Add(outcome.IsOk
                ? new BulkResult(id, "done", outcome.Value.Status, outcome.Value.Version, null)
                : new BulkResult(id, outcome.Kind switch
                {
                    OutcomeKind.NotFound => "notFound",
                    OutcomeKind.Forbidden => "forbidden",
                    _ => "conflict",
                }, null, null, outcome.Failure!.Detail));
        }

        var response = new BulkResponse(results);
        if (key is not null)
        {
            db.IdempotencyRecords.Add(new IdempotencyRecord
            {
                UserId = caller.UserId, Key = key, RequestHash = requestHash, StatusCode = 200,
                Response = JsonSerializer.Serialize(response, ReportWorkflow.Json), CreatedAt = time.GetUtcNow().UtcDateTime,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // The same request ran at the same time: its items were applied once, under their own keys.
                db.ChangeTracker.Clear();
            }
        }

        return Outcome.Ok(response);
    }
}
