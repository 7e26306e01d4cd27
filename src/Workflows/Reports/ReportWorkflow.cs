using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Reports;

/// <summary>An action on a report: the version acted on, a comment, and for a return (差戻し) the step to return to (default the draft).</summary>
public sealed record ReportActionRequest(ReportAction Action, int Version, string? Comment = null, string? ToStep = null);

/// <summary>Report settings (<c>Reports:*</c>).</summary>
public sealed class ReportOptions
{
    /// <summary>Business days a principal has for a 後閲 (reviewing a deputy's decision) before it shows as overdue.</summary>
    public int PostReviewBusinessDays { get; set; } = 5;

    /// <summary>Days an Idempotency-Key's reply is kept for a retry; afterwards the same key acts anew (and a stale version gets 409).</summary>
    public int IdempotencyDays { get; set; } = 7;

    /// <summary>
    /// Actions on reports this host runs at once; more wait for a turn (<see cref="ActionAdmission"/>).
    /// Unset: no limit.
    /// </summary>
    public int? MaxConcurrentActions { get; set; }

    /// <summary>
    /// Publish the retired <c>TaskAssigned</c> event beside each report event, for a subscriber that still
    /// reads it; the report events carry the same in <c>openedTasks</c>. Off by default: it doubles the
    /// outbox's rows and the broker's messages per action.
    /// </summary>
    public bool PublishTaskAssigned { get; set; }
}

/// <summary>
/// Runs the actions on progress reports. One action is one transaction: the report (checked
/// against its version), the tasks it closes and opens, one journal entry, its outbox events
/// and the idempotency record all commit together in one write (<see cref="ChangeBatch"/>: on
/// PostgreSQL one round trip, its own transaction), or nothing does. The
/// entry signs the report's attached files as they stand (claimed in the same transaction, so
/// an upload racing the action makes one of the two fail).
/// </summary>
public sealed class ReportWorkflow(
    ReformDbContext db, RouteCatalog routes, Outbox outbox, TimeProvider time, JournalKeys keys, ClosedDays closedDays, IOptions<ReportOptions> options,
    IReportAttachments attachments, ActionAdmission admission)
{
    public const int MaxTextLength = 4000;
    public const int MaxCommentLength = 2000;

    /// <summary>Indicator actuals in one save: a measure has a handful; a body with more is refused before any lookup.</summary>
    public const int MaxIndicators = 100;

    public static readonly JsonSerializerOptions Json = ReportContent.Json;

    public async Task<Outcome<ReportView>> GetAsync(Guid id, Caller caller, CancellationToken cancellationToken)
    {
        var loaded = await LoadAsync(id, caller, tracking: false, cancellationToken);
        return loaded is { } found ? Outcome.Ok(View(found.Report, found.Machine, found.Route, found.Title, found.PostReviews, caller)) : Outcome.NotFound("No such report.");
    }

    public async Task<Outcome<ReportView>> SaveAsync(Guid id, int version, ReportContent content, Caller caller, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (Validate(content) is { } invalid)
        {
            return invalid;
        }

        return await RunAsync(id, new ReportActionRequest(ReportAction.Save, version), caller, idempotencyKey, content, bulk: false, cancellationToken);
    }

    public Task<Outcome<ReportView>> ActAsync(Guid id, ReportAction action, int version, string? comment, Caller caller, string? idempotencyKey, CancellationToken cancellationToken) =>
        ActAsync(id, new ReportActionRequest(action, version, comment), caller, idempotencyKey, cancellationToken);

    public Task<Outcome<ReportView>> ActAsync(Guid id, ReportActionRequest request, Caller caller, string? idempotencyKey, CancellationToken cancellationToken) =>
        ActAsync(id, request, caller, idempotencyKey, bulk: false, cancellationToken);

    /// <summary>One item of a bulk action (一括承認): refused when its step does not allow bulk decisions.</summary>
    internal Task<Outcome<ReportView>> ActAsync(Guid id, ReportActionRequest request, Caller caller, string? idempotencyKey, bool bulk, CancellationToken cancellationToken)
    {
        var comment = string.IsNullOrWhiteSpace(request.Comment) ? null : request.Comment.Trim();
        if (request.Action is ReportAction.Return or ReportAction.Object && comment is null)
        {
            return Task.FromResult<Outcome<ReportView>>(Outcome.Invalid("comment", $"{Name(request.Action)} needs a comment saying what to change"));
        }

        if (CommentProblem(comment) is { } problem)
        {
            return Task.FromResult<Outcome<ReportView>>(Outcome.Invalid("comment", problem));
        }

        if (request.ToStep is not null && request.Action != ReportAction.Return)
        {
            return Task.FromResult<Outcome<ReportView>>(Outcome.Invalid("toStep", "only a return goes to a chosen step"));
        }

        return RunAsync(id, request with { Comment = comment }, caller, idempotencyKey, null, bulk, cancellationToken);
    }

    public static string Name(ReportAction action) => action.ToString().ToLowerInvariant();

    /// <summary>Null when the comment is acceptable (it may be null); otherwise what is wrong with it.</summary>
    public static string? CommentProblem(string? comment) =>
        comment is { Length: > MaxCommentLength } || (comment is not null && comment.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
            ? $"at most {MaxCommentLength} characters, no control characters"
            : null;

    private async Task<Outcome<ReportView>> RunAsync(
        Guid id, ReportActionRequest request, Caller caller, string? idempotencyKey, ReportContent? content, bool bulk, CancellationToken cancellationToken)
    {
        using var turn = await admission.EnterAsync(cancellationToken);
        return await RunAdmittedAsync(id, request, caller, idempotencyKey, content, bulk, cancellationToken);
    }

    private async Task<Outcome<ReportView>> RunAdmittedAsync(
        Guid id, ReportActionRequest request, Caller caller, string? idempotencyKey, ReportContent? content, bool bulk, CancellationToken cancellationToken)
    {
        var action = request.Action;
        var requestHash = idempotencyKey is null ? null
            : Hash($"{id}|{action}|{request.Version}|{request.Comment}|{request.ToStep}|{(content is null ? string.Empty : JsonSerializer.Serialize(content, Json))}");
        if (idempotencyKey is not null && await ReplayAsync(caller, idempotencyKey, requestHash!, cancellationToken) is { } replay)
        {
            return replay;
        }

        // Read untracked, with the values as read kept: the write changes the columns that differ (LoadedRow);
        // the new rows are handed to the write as they are, never to the change tracker (NewRow).
        var loaded = await LoadAsync(id, caller, tracking: false, cancellationToken);
        if (loaded is not { } found)
        {
            return Outcome.NotFound("No such report.");
        }

        var (report, machine, openTasks, route, title, postReviews) = found;
        var rows = new List<ChangeBatch.Row>(6 + openTasks.Count) { LoadedRow.Of(db, report) };
        rows.AddRange(openTasks.Select(task => LoadedRow.Of(db, task)));
        RouteStep? toStep = null;
        if (request.ToStep is { } target)
        {
            toStep = machine.ReturnTargets.FirstOrDefault(s => s.Id == target);
            if (toStep is null && machine.Check(action) is null)
            {
                return Outcome.Invalid("toStep", $"'{target}' is not an earlier step of this report's route; one of {string.Join(", ", machine.ReturnTargets.Select(s => s.Id))}");
            }
        }

        switch (machine.Check(action))
        {
            case Refusal.State:
                return Outcome.Conflict($"'{Name(action)}' is not allowed while the report is {report.Status}.");
            case Refusal.Caller:
                return Outcome.Forbidden($"You may not '{Name(action)}' this report in {report.Status}.");
        }

        if (bulk && machine.CurrentStep is { Bulk: false } unbulked)
        {
            return Outcome.Forbidden($"The step '{unbulked.Id}' is decided one report at a time (bulk: false).");
        }

        if (request.Version != report.Version)
        {
            return Outcome.Conflict($"The report is at version {report.Version}, not {request.Version}; reload it.");
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
        var recallTo = machine.RecallTarget;
        var toStatus = machine.Fire(action, toStep);
        var nextStep = route.AtStatus(toStatus);
        report.Status = toStatus;
        report.StepId = nextStep?.Id ?? RouteDefinition.AcceptedStatus;
        report.Version++;
        report.UpdatedAt = now;
        if (content is not null)
        {
            report.Content = content;
        }

        var onBehalfOf = acting.UserId == caller.UserId ? null : acting;
        if (action == ReportAction.Recall && report.LastOnBehalfOfId is { } principal)
        {
            // A deputy's decision taken back needs no review afterwards (後閲) any more.
            foreach (var review in await db.WorkTasks.Where(t => t.ReportId == report.Id && t.Kind == WorkTaskKind.PostReview && t.State == WorkTaskState.Open
                && t.StepId == recallTo!.Id && t.AssigneeUserId == principal).ToListAsync(cancellationToken))
            {
                review.State = WorkTaskState.Cancelled;
                review.CompletedAt = now;
                review.CompletedBy = caller.UserId;
            }
        }

        Remember(report, route, action, fromStep, nextStep, toStep, recallTo, caller, acting, onBehalfOf);
        if (toStatus == RouteDefinition.AcceptedStatus)
        {
            report.AcceptedAt = now;
            report.RetentionUntil = Retention.Until(report.RetentionClass, now);
        }

        var newTasks = new List<WorkTask>();
        if (action != ReportAction.Save)
        {
            var attached = await attachments.SignAsync(report, cancellationToken);
            var entry = Journal.Append(keys, report, now, caller.UserId, caller.Name, onBehalfOf?.UserId, onBehalfOf?.Name, Name(action), fromStatus, toStatus, request.Comment,
                new JournalPlace(fromStep.Id, caller.Role.ToString(), caller.SectionCode), attached);
            rows.Add(NewRow.Of(db, entry));
            if (action == ReportAction.Submit)
            {
                rows.Add(NewRow.Of(db, new ReportSubmission
                {
                    ReportId = report.Id, Round = report.Round, Version = report.Version, Content = report.Content, SubmittedAt = now,
                    SubmittedById = caller.UserId, SubmittedBy = caller.Name,
                }));
            }

            // 代決: the absent principal reviews the deputy's decision afterwards (後閲); the report does not wait for it.
            if (onBehalfOf is not null && action is ReportAction.Approve or ReportAction.Return or ReportAction.Accept or ReportAction.Concur or ReportAction.Object)
            {
                newTasks.Add(new WorkTask
                {
                    Id = Guid.CreateVersion7(new DateTimeOffset(now)), ReportId = report.Id, StepId = fromStep.Id, Kind = WorkTaskKind.PostReview,
                    AssigneeRole = onBehalfOf.Role, AssigneeSectionCode = onBehalfOf.SectionCode, AssigneeDepartmentCode = onBehalfOf.DepartmentCode,
                    AssigneeUserId = onBehalfOf.UserId, JournalSeq = entry.Seq, State = WorkTaskState.Open,
                    DueDate = closedDays.AddBusinessDays(FiscalYear.JapanDate(new DateTimeOffset(now)), options.Value.PostReviewBusinessDays), CreatedAt = now,
                });
            }
        }

        var opened = UpdateTasks(action, report, route, machine, fromStep, nextStep, openTasks, acting, caller, now);
        newTasks.AddRange(opened);
        rows.AddRange(newTasks.Select(task => NewRow.Of(db, task)));
        if (action != ReportAction.Save)
        {
            AddEvent(rows, action, report, fromStatus, caller, onBehalfOf, opened, now);
        }

        // The action's tasks are the loaded and the opened ones: the tracker holds no action task here (only a recall's 後閲).
        var fresh = new RouteMachine(route, report, openTasks.Concat(opened).Where(t => t.State == WorkTaskState.Open && t.Kind == WorkTaskKind.Action).ToList(), caller);
        var view = View(report, fresh, route, title, postReviews, caller, newTasks);
        if (idempotencyKey is not null)
        {
            rows.Add(NewRow.Of(db, new IdempotencyRecord
            {
                UserId = caller.UserId, Key = idempotencyKey, RequestHash = requestHash!, StatusCode = 200,
                Response = JsonSerializer.Serialize(view, Json), CreatedAt = now,
            }));
        }

        try
        {
            await ChangeBatch.SaveAsync(db, rows, cancellationToken);
            if (action != ReportAction.Save)
            {
                ReformTelemetry.RecordAction(Name(action));
            }
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

    /// <summary>What the report remembers of the round: who decided where, who may recall, the consultation's concurrences.</summary>
    private static void Remember(
        ProgressReport report, RouteDefinition route, ReportAction action, RouteStep fromStep, RouteStep? nextStep, RouteStep? toStep, RouteStep? recallTo,
        Caller caller, Caller acting, Caller? onBehalfOf)
    {
        switch (action)
        {
            case ReportAction.Submit:
                // A new round: nobody has decided in it yet.
                report.SubmittedBy = caller.UserId;
                report.RoundDeciders = string.Empty;
                report.Round++;
                report.Concurred = string.Empty;
                break;
            case ReportAction.Approve or ReportAction.Accept or ReportAction.Concur:
                report.RoundDeciders = Deciders.Add(Deciders.Add(report.RoundDeciders, fromStep.Id, caller.UserId), fromStep.Id, acting.UserId);
                if (action == ReportAction.Concur && acting.SectionCode is { } section)
                {
                    report.Concurred = string.Join(' ', report.Concurred.Split(' ', StringSplitOptions.RemoveEmptyEntries).Append(section).Distinct());
                }

                break;
            case ReportAction.Return or ReportAction.Object:
                // Every step from the one returned to decides again; nobody's decision there stands.
                var target = toStep ?? route.First;
                report.RoundDeciders = Deciders.Forget(report.RoundDeciders, route.Steps.Skip(route.IndexOf(target.Id)).Select(s => s.Id).ToList());
                if (target.Kind == StepKind.Draft)
                {
                    report.ReturnedRound = report.Round;
                }

                report.Concurred = string.Empty;
                break;
            case ReportAction.Recall:
                // The decision is taken back: whoever took it, and whoever it was taken for, decide again.
                var recalledStep = recallTo!;
                foreach (var person in new[] { report.LastActorId, report.LastOnBehalfOfId, caller.UserId, acting.UserId }.OfType<string>())
                {
                    report.RoundDeciders = Deciders.Forget(report.RoundDeciders, recalledStep.Id, person);
                }

                if (recalledStep.Kind == StepKind.Consult && acting.SectionCode is { } recalled)
                {
                    report.Concurred = string.Join(' ', report.Concurred.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(s => s != recalled));
                }

                break;
        }

        // Whoever moved the report forward may take it back until the next actor acts.
        if (action is ReportAction.Submit or ReportAction.Approve or ReportAction.Concur && nextStep?.Id != fromStep.Id)
        {
            report.LastStepId = fromStep.Id;
            report.LastActorId = caller.UserId;
            report.LastOnBehalfOfId = onBehalfOf?.UserId;
        }
        else if (action != ReportAction.Save)
        {
            report.LastStepId = null;
            report.LastActorId = null;
            report.LastOnBehalfOfId = null;
        }
    }

    /// <summary>Completes or cancels the tasks the action ends, and returns those of the step it moves to, for the caller to insert.</summary>
    private List<WorkTask> UpdateTasks(
        ReportAction action, ProgressReport report, RouteDefinition route, RouteMachine machine, RouteStep fromStep, RouteStep? nextStep,
        List<WorkTask> openTasks, Caller acting, Caller caller, DateTime now)
    {
        if (action == ReportAction.Save)
        {
            return [];
        }

        var staysAtConsultation = action == ReportAction.Concur && nextStep?.Id == fromStep.Id;
        foreach (var task in openTasks)
        {
            var mine = action == ReportAction.Concur && task.StepId == fromStep.Id && task.AssigneeSectionCode == acting.SectionCode;
            if (staysAtConsultation && !mine)
            {
                continue;
            }

            // A concurrence completes its own task; the quorum reached, the other sections' tasks are no longer needed.
            task.State = mine || (action is not (ReportAction.Return or ReportAction.Object or ReportAction.Recall or ReportAction.Concur))
                ? WorkTaskState.Completed : WorkTaskState.Cancelled;
            task.CompletedAt = now;
            task.CompletedBy = caller.UserId;
        }

        if (staysAtConsultation || nextStep is null)
        {
            return [];
        }

        var due = nextStep.Kind == StepKind.Draft ? report.DueDate : DueDate(nextStep, now);
        IEnumerable<WorkTask> opened;
        if (nextStep.Kind == StepKind.Consult)
        {
            // A recall to a consultation asks again only those who have not concurred; anything else asks all of them.
            var concurred = report.Concurred.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var sections = machine.ConsultedSections(nextStep).Where(s => action != ReportAction.Recall || !concurred.Contains(s)).ToList();
            if (action != ReportAction.Recall)
            {
                report.Concurred = string.Empty;
            }

            report.ConsultedSections = " " + string.Join(' ', report.ConsultedSections.Split(' ', StringSplitOptions.RemoveEmptyEntries).Concat(sections).Distinct().Order(StringComparer.Ordinal)) + " ";
            opened = sections.Select(section => NewTask(report, nextStep, section, null, due, now));
        }
        else
        {
            opened = OpenTasks(report, nextStep, due, now);
        }

        return opened.ToList();
    }

    /// <summary>A step's due date from today (Japan date): calendar days, or business days when the route says so.</summary>
    private DateOnly DueDate(RouteStep step, DateTime now)
    {
        var today = FiscalYear.JapanDate(new DateTimeOffset(now));
        return step.BusinessDays ? closedDays.AddBusinessDays(today, step.DueDays) : today.AddDays(step.DueDays);
    }

    /// <summary>The tasks a step opens: one per candidate group (a consultation's are opened by the engine per section asked).</summary>
    public static List<WorkTask> OpenTasks(ProgressReport report, RouteStep step, DateOnly due, DateTime now)
    {
        IEnumerable<(string? Section, string? Department)> groups = step.Assignee.Scope switch
        {
            AssigneeScope.Section => [(report.SectionCode, null)],
            AssigneeScope.Department => [(null, report.DepartmentCode)],
            AssigneeScope.Sections => RouteMachine.Consulted(step, report).Select(s => ((string?)s, (string?)null)),
            _ => [(null, null)],
        };
        return groups.Select(g => NewTask(report, step, g.Section, g.Department, due, now)).ToList();
    }

    private static WorkTask NewTask(ProgressReport report, RouteStep step, string? section, string? department, DateOnly due, DateTime now) => new()
    {
        Id = Guid.CreateVersion7(new DateTimeOffset(now)), ReportId = report.Id, StepId = step.Id, Kind = WorkTaskKind.Action, AssigneeRole = step.Assignee.Role,
        AssigneeSectionCode = section, AssigneeDepartmentCode = department, State = WorkTaskState.Open, DueDate = due, CreatedAt = now,
    };

    /// <summary>The retired per-task event, published only with <see cref="ReportOptions.PublishTaskAssigned"/>.</summary>
    public static TaskAssigned TaskEvent(ProgressReport report, WorkTask task) => new()
    {
        TaskId = task.Id, ReportId = report.Id, MeasureCode = report.MeasureCode, FiscalYear = report.FiscalYear, StepId = task.StepId,
        AssigneeRole = task.AssigneeRole.ToString(), AssigneeSectionCode = task.AssigneeSectionCode, AssigneeDepartmentCode = task.AssigneeDepartmentCode,
        DueDate = task.DueDate, At = task.CreatedAt,
    };

    /// <summary>
    /// The action's report event, which carries the tasks it opened; then, if still switched on, one retired TaskAssigned per task:
    /// outbox rows handed to the write with its other new rows, in this order (the outbox's sequence is the events' order).
    /// </summary>
    private void AddEvent(List<ChangeBatch.Row> rows, ReportAction action, ProgressReport report, string fromStatus, Caller caller, Caller? onBehalfOf, List<WorkTask> opened, DateTime now)
    {
        var streamId = report.Id.ToString("N");
        rows.Add(NewRow.Of(db, action switch
        {
            ReportAction.Submit => outbox.Create(Event<ReportSubmitted>(report, fromStatus, caller, onBehalfOf, opened, now), streamId),
            ReportAction.Recall => outbox.Create(Event<ReportRecalled>(report, fromStatus, caller, onBehalfOf, opened, now), streamId),
            ReportAction.Approve => outbox.Create(Event<ReportApproved>(report, fromStatus, caller, onBehalfOf, opened, now), streamId),
            ReportAction.Return or ReportAction.Object => outbox.Create(Event<ReportReturned>(report, fromStatus, caller, onBehalfOf, opened, now), streamId),
            ReportAction.Concur => outbox.Create(Event<ReportConcurred>(report, fromStatus, caller, onBehalfOf, opened, now), streamId),
            ReportAction.Accept => outbox.Create(Event<ReportAccepted>(report, fromStatus, caller, onBehalfOf, opened, now), streamId),
            _ => throw new InvalidOperationException($"'{Name(action)}' has no event."),
        }));

        if (options.Value.PublishTaskAssigned)
        {
            foreach (var task in opened)
            {
                rows.Add(NewRow.Of(db, outbox.Create(TaskEvent(report, task), streamId)));
            }
        }
    }

    public static T Event<T>(ProgressReport report, string? fromStatus, Caller caller, Caller? onBehalfOf, IEnumerable<WorkTask> opened, DateTime now)
        where T : ReportEvent, new() => new()
    {
        ReportId = report.Id, MeasureCode = report.MeasureCode, ItemCode = report.ItemCode, SectionCode = report.SectionCode,
        DepartmentCode = report.DepartmentCode, FiscalYear = report.FiscalYear, FromStatus = fromStatus, Status = report.Status, StepId = report.StepId,
        Version = report.Version, Actor = caller.Name, OnBehalfOf = onBehalfOf?.Name, At = now,
        OpenedTasks = opened.Select(t => new OpenedTask
        {
            TaskId = t.Id, StepId = t.StepId, AssigneeRole = t.AssigneeRole.ToString(), AssigneeSectionCode = t.AssigneeSectionCode,
            AssigneeDepartmentCode = t.AssigneeDepartmentCode, DueDate = t.DueDate,
        }).ToList(),
    };

    /// <summary>The load into a context that already tracks rows (see <see cref="ReportRows"/>): EF Core resolves them to the tracked instances.</summary>
    private static readonly CompiledQuery<Func<ReformDbContext, Guid, string, CancellationToken, Task<ReportRows.Loaded?>>> LoadTracked = new(() =>
        EF.CompileAsyncQuery((ReformDbContext db, Guid id, string userId, CancellationToken _) => db.ProgressReports.AsTracking()
            .Where(r => r.Id == id)
            .Select(r => new ReportRows.Loaded(
                r,
                db.Measures.Where(m => m.Id == r.MeasureId).Select(m => m.Title).FirstOrDefault(),
                db.WorkTasks.Where(t => t.ReportId == r.Id && t.State == WorkTaskState.Open && t.Kind == WorkTaskKind.Action).ToList(),
                db.WorkTasks.Where(t => t.ReportId == r.Id && t.State == WorkTaskState.Open && t.Kind == WorkTaskKind.PostReview && t.AssigneeUserId == userId)
                    .Select(t => t.Id).ToList()))
            .SingleOrDefault()));

    /// <summary>
    /// The report with its open action tasks, its measure's title and the caller's open 後閲 on it, in
    /// one round trip; null when there is no such report or the caller may not see it.
    /// </summary>
    internal async Task<(ProgressReport Report, RouteMachine Machine, List<WorkTask> OpenTasks, RouteDefinition Route, string Title, List<Guid> PostReviews)?> LoadAsync(
        Guid id, Caller caller, bool tracking, CancellationToken cancellationToken)
    {
        var loaded = ReportRows.Serves(db, tracking)
            ? await ReportRows.ReadAsync(db, id, caller.UserId, tracking, cancellationToken)
            : await LoadTracked.For(db)(db, id, caller.UserId, cancellationToken);
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
        return (report, new RouteMachine(route, report, openTasks, caller), openTasks, route, loaded.Title ?? report.MeasureCode, loaded.PostReviews);
    }

    /// <summary>
    /// The report as the caller sees it once this unit of work commits. <paramref name="storedPostReviews"/>
    /// are the caller's open 後閲 on it as loaded; those this unit of work closed no longer count, and any it
    /// opened for the caller do (tracked as new, or in <paramref name="untracked"/>: new tasks handed to the write as they are).
    /// </summary>
    internal ReportView View(
        ProgressReport report, RouteMachine machine, RouteDefinition route, string title, IReadOnlyCollection<Guid> storedPostReviews, Caller caller,
        IReadOnlyCollection<WorkTask>? untracked = null)
    {
        var permitted = machine.Permitted();
        // Only chiefs and heads appoint deputies, so only they can have a 後閲 to do.
        var postReviews = 0;
        if (caller.Role is Organisation.Role.SectionChief or Organisation.Role.DepartmentHead)
        {
            var tracked = TrackedTasks();
            postReviews = storedPostReviews.Count(id => tracked.FirstOrDefault(t => t.Id == id) is not { } task || task.State == WorkTaskState.Open)
                + tracked.Where(t => db.Entry(t).State == EntityState.Added).Concat(untracked ?? []).Count(t => t.ReportId == report.Id
                    && t.Kind == WorkTaskKind.PostReview && t.State == WorkTaskState.Open && t.AssigneeUserId == caller.UserId);
        }

        return new ReportView(
            report.Id, report.MeasureCode, title, report.SectionCode, report.FiscalYear, report.RouteName, report.RouteVersion,
            report.Status, report.Version, report.DueDate, report.Content, permitted.Select(Name).ToList())
        {
            Steps = Steps(route, report, machine),
            ReturnSteps = permitted.Contains(ReportAction.Return) ? machine.ReturnTargets.Select(s => s.Id).ToList() : [],
            CanComment = machine.CheckComment() is null,
            PostReviewOpen = postReviews > 0,
            ApprovalClass = report.ApprovalClass,
            RouteRule = report.RouteRule,
            RetentionClass = report.RetentionClass,
            RetentionUntil = report.RetentionUntil
                ?? (report.AcceptedAt is { } acceptedAt ? Retention.Until(report.RetentionClass, acceptedAt) : null),
            DisposedAt = report.DisposedAt,
            Disposition = report.Disposition,
            Round = report.Round,
        };
    }

    /// <summary>
    /// The tasks this unit of work tracks, read without a change detection: <c>DbSet.Local</c> runs one
    /// over every tracked entity on each read (three reads per action were about a thirty-fifth of the host's CPU under load). What
    /// is read here needs none: a task's own properties, and the Added state that Add set;
    /// <see cref="ChangeBatch"/> detects once, when it writes.
    /// </summary>
    private List<WorkTask> TrackedTasks()
    {
        var detect = db.ChangeTracker.AutoDetectChangesEnabled;
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            return db.WorkTasks.Local.ToList();
        }
        finally
        {
            db.ChangeTracker.AutoDetectChangesEnabled = detect;
        }
    }

    /// <summary>The route's steps and where the report stands on each: done, current, pending, or skipped (a consultation with nobody to ask).</summary>
    public static IReadOnlyList<StepView> Steps(RouteDefinition route, ProgressReport report, RouteMachine machine)
    {
        var current = report.Status == RouteDefinition.AcceptedStatus ? route.Steps.Count
            : report.Status == RouteDefinition.ReturnedStatus ? 0
            : Math.Max(0, route.IndexOf(route.AtStatus(report.Status)?.Id));
        return route.Steps.Select((s, i) => new StepView(
            s.Id, s.DisplayTitle, s.Kind, s.Status, s.Assignee.Role,
            machine.IsSkipped(s) ? "skipped" : i < current ? "done" : i == current ? "current" : "pending",
            s.Kind == StepKind.Consult ? machine.ConsultedSections(s) : null,
            s.Kind == StepKind.Consult ? machine.RequiredConcurrences(s) : null)).ToList();
    }

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

        if (content.Indicators?.Count > MaxIndicators)
        {
            return Outcome.Invalid("content.indicators", $"at most {MaxIndicators} indicators");
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

    internal static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
