using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Reports;

/// <summary>
/// Runs the actions on progress reports. One action is one transaction: the report (checked
/// against its version), the tasks it closes and opens, one journal entry, its outbox events
/// and the idempotency record all commit together in one SaveChanges, or nothing does.
/// </summary>
public sealed class ReportWorkflow(ReformDbContext db, RouteCatalog routes, Outbox outbox, TimeProvider time, JournalKeys keys)
{
    public const int MaxTextLength = 4000;
    public const int MaxCommentLength = 2000;

    public static readonly JsonSerializerOptions Json = ReportContent.Json;

    public async Task<Outcome<ReportView>> GetAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var loaded = await LoadAsync(id, caller, tracking: false, cancellationToken);
        return loaded is null ? Outcome.NotFound("No such report.") : Outcome.Ok(View(loaded.Value.Report, loaded.Value.Machine, loaded.Value.Title));
    }

    public async Task<Outcome<ReportView>> SaveAsync(Guid id, int version, ReportContent content, Caller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (Validate(content) is { } invalid)
        {
            return invalid;
        }

        return await RunAsync(id, ReportAction.Save, version, null, caller, idempotencyKey, content, cancellationToken);
    }

    public Task<Outcome<ReportView>> ActAsync(Guid id, ReportAction action, int version, string? comment, Caller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        comment = string.IsNullOrWhiteSpace(comment) ? null : comment.Trim();
        if (action is ReportAction.Return or ReportAction.Object && comment is null)
        {
            return Task.FromResult<Outcome<ReportView>>(Outcome.Invalid("comment", $"{Name(action)} needs a comment saying what to change"));
        }

        if (comment is { Length: > MaxCommentLength } || (comment is not null && comment.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))))
        {
            return Task.FromResult<Outcome<ReportView>>(Outcome.Invalid("comment", $"at most {MaxCommentLength} characters, no control characters"));
        }

        return RunAsync(id, action, version, comment, caller, idempotencyKey, null, cancellationToken);
    }

    public static string Name(ReportAction action) => action.ToString().ToLowerInvariant();

    private async Task<Outcome<ReportView>> RunAsync(
        Guid id, ReportAction action, int version, string? comment, Caller caller, string? idempotencyKey, ReportContent? content, CancellationToken cancellationToken)
    {
        var requestHash = idempotencyKey is null ? null : Hash($"{id}|{action}|{version}|{comment}|{(content is null ? string.Empty : JsonSerializer.Serialize(content, Json))}");
        if (idempotencyKey is not null && await ReplayAsync(caller, idempotencyKey, requestHash!, cancellationToken) is { } replay)
        {
            return replay;
        }

        var loaded = await LoadAsync(id, caller, tracking: true, cancellationToken);
        if (loaded is not { } found)
        {
            return Outcome.NotFound("No such report.");
        }

        var (report, machine, openTasks, route, title) = found;
        switch (machine.Check(action))
        {
            case Refusal.State:
                return Outcome.Conflict($"'{Name(action)}' is not allowed while the report is {report.Status}.");
            case Refusal.Caller:
                return Outcome.Forbidden($"You may not '{Name(action)}' this report in {report.Status}.");
        }

        if (version != report.Version)
        {
            return Outcome.Conflict($"The report is at version {report.Version}, not {version}; reload it.");
        }

        if (content is not null)
        {
            var indicators = await db.Measures.Where(m => m.Id == report.MeasureId).Select(m => m.Indicators).SingleAsync(cancellationToken);
            var known = indicators.Select(i => i.Code).ToHashSet(StringComparer.Ordinal);
            var unknown = content.Indicators.Select((indicator, index) => (indicator, index)).FirstOrDefault(x => !known.Contains(x.indicator.Code));
            if (unknown.indicator is not null)
            {
                return Outcome.Invalid($"content.indicators[{unknown.index}].code", $"'{unknown.indicator.Code}' is not an indicator of measure {report.MeasureCode}; one of {string.Join(", ", known)}");
            }
        }

        var now = time.GetUtcNow().UtcDateTime;
        var acting = machine.ActingIdentity(action)!;
        var fromStatus = report.Status;
        var fromStep = machine.CurrentStep!;
        var toStatus = machine.Fire(action);
        report.Status = toStatus;
        report.StepId = toStatus == RouteDefinition.AcceptedStatus ? RouteDefinition.AcceptedStatus
            : toStatus == RouteDefinition.ReturnedStatus ? route.First.Id
            : route.Steps.First(s => s.Status == toStatus).Id;
        report.Version++;
        report.UpdatedAt = now;
        if (content is not null)
        {
            report.Content = content;
        }

        if (action == ReportAction.Submit)
        {
            // A new round: nobody has decided in it yet.
            report.SubmittedBy = caller.UserId;
            report.RoundDeciders = string.Empty;
        }
        else if (action is ReportAction.Approve or ReportAction.Return or ReportAction.Accept or ReportAction.Concur or ReportAction.Object)
        {
            report.RecordDecision(caller.UserId);
            report.RecordDecision(acting.UserId);
        }

        if (toStatus == RouteDefinition.AcceptedStatus)
        {
            report.AcceptedAt = now;
        }

        var onBehalfOf = acting.UserId == caller.UserId ? null : acting;
        if (action != ReportAction.Save)
        {
            db.JournalEntries.Add(Journal.Append(keys, report, now, caller.UserId, caller.Name, onBehalfOf?.UserId, onBehalfOf?.Name, Name(action), fromStatus, toStatus, comment));
            AddEvent(action, report, fromStatus, caller, onBehalfOf, now);
        }

        UpdateTasks(action, report, route, fromStep, openTasks, acting, caller, now);

        var view = View(report, new RouteMachine(route, report, db.WorkTasks.Local.Where(t => t.ReportId == report.Id && t.State == WorkTaskState.Open).ToList(), caller), title);
        if (idempotencyKey is not null)
        {
            db.IdempotencyRecords.Add(new IdempotencyRecord
            {
                UserId = caller.UserId, Key = idempotencyKey, RequestHash = requestHash!, StatusCode = 200,
                Response = JsonSerializer.Serialize(view, Json), CreatedAt = now,
            });
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Another action on the same report committed first: the version check, or the
            // journal's unique (report, seq), stopped this one. If it was the same request
            // under the same Idempotency-Key, answer as it did.
            db.ChangeTracker.Clear();
            return (idempotencyKey is null ? null : await ReplayAsync(caller, idempotencyKey, requestHash!, cancellationToken))
                ?? Outcome.Conflict("Someone else changed the report at the same moment; reload it.");
        }

        return Outcome.Ok(view);
    }

    private void UpdateTasks(ReportAction action, ProgressReport report, RouteDefinition route, RouteStep fromStep, List<WorkTask> openTasks, Caller acting, Caller caller, DateTime now)
    {
        if (action == ReportAction.Save)
        {
            return;
        }

        var atStep = openTasks.Where(t => t.StepId == fromStep.Id).ToList();
        if (action == ReportAction.Concur)
        {
            var mine = atStep.First(t => t.AssigneeSectionCode == acting.SectionCode);
            Close(mine, WorkTaskState.Completed);
            if (report.StepId == fromStep.Id)
            {
                return;
            }
        }
        else
        {
            var state = action is ReportAction.Return or ReportAction.Object or ReportAction.Recall ? WorkTaskState.Cancelled : WorkTaskState.Completed;
            foreach (var task in openTasks)
            {
                Close(task, state);
            }
        }

        if (report.Status == RouteDefinition.AcceptedStatus)
        {
            return;
        }

        var next = route.Steps.First(s => s.Id == report.StepId);
        var due = next.Kind == StepKind.Draft ? report.DueDate : Calendar.FiscalYear.JapanDate(new DateTimeOffset(now)).AddDays(next.DueDays);
        foreach (var task in OpenTasks(report, next, due, now))
        {
            db.WorkTasks.Add(task);
            outbox.Add(TaskEvent(report, task), report.Id.ToString("N"));
        }

        void Close(WorkTask task, WorkTaskState state)
        {
            task.State = state;
            task.CompletedAt = now;
            task.CompletedBy = caller.UserId;
        }
    }

    /// <summary>The tasks a step opens: one per candidate group (one per section for a consultation).</summary>
    public static IEnumerable<WorkTask> OpenTasks(ProgressReport report, RouteStep step, DateOnly due, DateTime now)
    {
        IEnumerable<(string? Section, string? Department)> groups = step.Assignee.Scope switch
        {
            AssigneeScope.Section => [(report.SectionCode, null)],
            AssigneeScope.Department => [(null, report.DepartmentCode)],
            // A consultation asks other sections: the owning section already decided at its own step.
            AssigneeScope.Sections => step.Assignee.Sections.Where(s => s != report.SectionCode).Select(s => ((string?)s, (string?)null)),
            _ => [(null, null)],
        };
        return groups.Select(g => new WorkTask
        {
            Id = Guid.CreateVersion7(new DateTimeOffset(now)), ReportId = report.Id, StepId = step.Id, AssigneeRole = step.Assignee.Role,
            AssigneeSectionCode = g.Section, AssigneeDepartmentCode = g.Department, State = WorkTaskState.Open, DueDate = due, CreatedAt = now,
        }).ToList();
    }

    public static TaskAssigned TaskEvent(ProgressReport report, WorkTask task) => new()
    {
        TaskId = task.Id, ReportId = report.Id, MeasureCode = report.MeasureCode, FiscalYear = report.FiscalYear, StepId = task.StepId,
        AssigneeRole = task.AssigneeRole.ToString(), AssigneeSectionCode = task.AssigneeSectionCode, AssigneeDepartmentCode = task.AssigneeDepartmentCode,
        DueDate = task.DueDate, At = task.CreatedAt,
    };

    private void AddEvent(ReportAction action, ProgressReport report, string fromStatus, Caller caller, Caller? onBehalfOf, DateTime now)
    {
        var streamId = report.Id.ToString("N");
        switch (action)
        {
            case ReportAction.Submit: outbox.Add(Event<ReportSubmitted>(report, fromStatus, caller, onBehalfOf, now), streamId); break;
            case ReportAction.Recall: outbox.Add(Event<ReportRecalled>(report, fromStatus, caller, onBehalfOf, now), streamId); break;
            case ReportAction.Approve: outbox.Add(Event<ReportApproved>(report, fromStatus, caller, onBehalfOf, now), streamId); break;
            case ReportAction.Return or ReportAction.Object: outbox.Add(Event<ReportReturned>(report, fromStatus, caller, onBehalfOf, now), streamId); break;
            case ReportAction.Concur: outbox.Add(Event<ReportConcurred>(report, fromStatus, caller, onBehalfOf, now), streamId); break;
            case ReportAction.Accept: outbox.Add(Event<ReportAccepted>(report, fromStatus, caller, onBehalfOf, now), streamId); break;
        }
    }

    public static T Event<T>(ProgressReport report, string? fromStatus, Caller caller, Caller? onBehalfOf, DateTime now)
        where T : ReportEvent, new() => new()
    {
        ReportId = report.Id, MeasureCode = report.MeasureCode, ItemCode = report.ItemCode, SectionCode = report.SectionCode,
        DepartmentCode = report.DepartmentCode, FiscalYear = report.FiscalYear, FromStatus = fromStatus, Status = report.Status,
        Version = report.Version, Actor = caller.Name, OnBehalfOf = onBehalfOf?.Name, At = now,
    };

    /// <summary>
    /// The report with its open tasks and its measure's title, in one round trip; null when
    /// there is no such report or the caller may not see it.
    /// </summary>
    private async Task<(ProgressReport Report, RouteMachine Machine, List<WorkTask> OpenTasks, RouteDefinition Route, string Title)?> LoadAsync(
        Guid id, Caller caller, bool tracking, CancellationToken cancellationToken)
    {
        var query = tracking ? db.ProgressReports : db.ProgressReports.AsNoTracking();
        var loaded = await query
            .Where(r => r.Id == id)
            .Select(r => new
            {
                Report = r,
                Title = db.Measures.Where(m => m.Id == r.MeasureId).Select(m => m.Title).FirstOrDefault(),
                OpenTasks = db.WorkTasks.Where(t => t.ReportId == r.Id && t.State == WorkTaskState.Open).ToList(),
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (loaded is null)
        {
            return null;
        }

        var (report, openTasks) = (loaded.Report, loaded.OpenTasks);
        if (!Visibility.CanSee(caller, report, openTasks))
        {
            return null;
        }

        var route = await routes.GetAsync(report.RouteName, report.RouteVersion, cancellationToken)
            ?? throw new InvalidOperationException($"Route {report.RouteName} v{report.RouteVersion} is not published.");
        return (report, new RouteMachine(route, report, openTasks, caller), openTasks, route, loaded.Title ?? report.MeasureCode);
    }

    private static ReportView View(ProgressReport report, RouteMachine machine, string title) =>
        new(report.Id, report.MeasureCode, title, report.SectionCode, report.FiscalYear, report.RouteName, report.RouteVersion,
            report.Status, report.Version, report.DueDate, report.Content, machine.Permitted().Select(Name).ToList());

    private async Task<Outcome<ReportView>?> ReplayAsync(Caller caller, string key, string requestHash, CancellationToken cancellationToken)
    {
        var record = await db.IdempotencyRecords.AsNoTracking().SingleOrDefaultAsync(r => r.UserId == caller.UserId && r.Key == key, cancellationToken);
        if (record is null)
        {
            return null;
        }

        return record.RequestHash == requestHash
            ? Outcome.Ok(JsonSerializer.Deserialize<ReportView>(record.Response, Json)!)
            : Outcome.Conflict("This Idempotency-Key was used for a different request.");
    }

    private static Failure? Validate(ReportContent content)
    {
        foreach (var (field, text) in new[] { ("content.achievements", content.Achievements), ("content.nextSteps", content.NextSteps) })
        {
            if (text is { Length: > MaxTextLength } || (text is not null && text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t'))))
            {
                return Outcome.Invalid(field, $"at most {MaxTextLength} characters, no control characters");
            }
        }

        var codes = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (content.Indicators?.Count ?? 0); i++)
        {
            var indicator = content.Indicators![i];
            if (indicator is null || indicator.Code is null || !Organisation.Codes.IsIndicatorCode(indicator.Code) || !codes.Add(indicator.Code))
            {
                return Outcome.Invalid($"content.indicators[{i}].code", "required, 1-16 letters, digits, '.', '-' or '_', not repeated");
            }
        }

        return null;
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
