using AomoriReform.Workflows.Callers;
using Stateless;
using Stateless.Graph;

namespace AomoriReform.Workflows.Engine;

/// <summary>What a person can do to a report. The API names them in lower case.</summary>
public enum ReportAction
{
    Save,
    Submit,
    Recall,
    Approve,
    Return,
    Accept,
    Concur,

    /// <summary>A consulted section objects; the name is the API's action name.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "The action is called object in the API.")]
    Object,
}

/// <summary>Why an action cannot be taken.</summary>
public enum Refusal
{
    /// <summary>The report's state does not allow it (409).</summary>
    State,
    /// <summary>The state allows it, but not for this caller (403).</summary>
    Caller,
}

/// <summary>
/// The Stateless state machine of one report on its route. States are the report's statuses,
/// triggers are <see cref="ReportAction"/>s, and every guard that concerns the caller is
/// described as such, so one machine both enforces an action (409 vs 403) and lists the
/// permitted actions a client may offer: no button the server would refuse.
/// </summary>
public sealed class RouteMachine
{
    private const string CallerGuard = "caller";

    /// <summary>One person, one decision per round: a caller guard too (403, never listed as permitted).</summary>
    private const string DutiesGuard = "caller: one decision per person per round";
    private readonly StateMachine<string, ReportAction> machine;
    private readonly RouteDefinition route;
    private readonly IRouteInstance report;
    private readonly IReadOnlyCollection<WorkTask> openTasks;
    private readonly Caller? caller;

    public RouteMachine(RouteDefinition route, IRouteInstance report, IReadOnlyCollection<WorkTask> openTasks, Caller? caller)
    {
        this.route = route;
        this.report = report;
        this.openTasks = openTasks;
        this.caller = caller;
        var status = report.Status;
        machine = new StateMachine<string, ReportAction>(() => status, s => status = s);
        Configure();
    }

    /// <summary>The actions the caller may take now, in a stable order.</summary>
    public IReadOnlyList<ReportAction> Permitted() =>
        caller is null ? [] : Enum.GetValues<ReportAction>().Where(machine.CanFire).ToList();

    /// <summary>Null when the caller may take the action; otherwise why not.</summary>
    public Refusal? Check(ReportAction action)
    {
        if (machine.CanFire(action, out var unmet))
        {
            return null;
        }

        return unmet is { Count: > 0 } && unmet.All(g => g is CallerGuard or DutiesGuard) ? Refusal.Caller : Refusal.State;
    }

    /// <summary>The status the report moves to. Call only after <see cref="Check"/> allowed it.</summary>
    public string Fire(ReportAction action)
    {
        machine.Fire(action);
        return machine.State;
    }

    /// <summary>The identity (the caller, or the principal they deputise for) that may act on the current step.</summary>
    public Caller? ActingIdentity(ReportAction action)
    {
        if (caller is null)
        {
            return null;
        }

        if (action is ReportAction.Save or ReportAction.Submit or ReportAction.Recall)
        {
            return caller;
        }

        var step = CurrentStep;
        return step is null ? null
            : caller.Identities.FirstOrDefault(identity => Unspent(step, identity)) ?? caller.Identities.FirstOrDefault(identity => Matches(step, identity));
    }

    public RouteStep? CurrentStep => route.Steps.FirstOrDefault(s => s.Status == report.Status) ?? (report.Status == RouteDefinition.ReturnedStatus ? route.First : null);

    /// <summary>The route as a Mermaid state diagram, from the same machine configuration.</summary>
    public static string Mermaid(RouteDefinition route)
    {
        var sample = new SampleInstance(route.First.Status);
        return MermaidGraph.Format(new RouteMachine(route, sample, [], null).machine.GetInfo());
    }

    private void Configure()
    {
        var draft = route.First;
        var afterDraft = route.After(draft)!;
        machine.Configure(draft.Status)
            .PermitReentryIf(ReportAction.Save, CanDraft, CallerGuard)
            .PermitIf(ReportAction.Submit, afterDraft.Status, CanDraft, CallerGuard);
        machine.Configure(RouteDefinition.ReturnedStatus).SubstateOf(draft.Status);

        foreach (var step in route.Steps.Skip(1))
        {
            var next = route.After(step)?.Status ?? RouteDefinition.AcceptedStatus;
            var state = machine.Configure(step.Status);
            if (step == afterDraft)
            {
                state.PermitIf(ReportAction.Recall, draft.Status, IsSubmitter, CallerGuard);
            }

            switch (step.Kind)
            {
                case StepKind.Approve:
                    state.PermitIf(ReportAction.Approve, next, Decide(step))
                        .PermitIf(ReportAction.Return, RouteDefinition.ReturnedStatus, Decide(step));
                    break;
                case StepKind.Review:
                    state.PermitIf(ReportAction.Accept, next, Decide(step))
                        .PermitIf(ReportAction.Return, RouteDefinition.ReturnedStatus, Decide(step));
                    break;
                case StepKind.Consult:
                    // Each listed section concurs in parallel; the last concurrence moves the report on.
                    state.PermitDynamicIf(ReportAction.Concur, () => openTasks.Count(t => t.StepId == step.Id) <= 1 ? next : step.Status, () => MayDecide(step) && NotDecidedYet(step), CallerGuard)
                        .PermitIf(ReportAction.Object, RouteDefinition.ReturnedStatus, Decide(step));
                    break;
                default:
                    throw new InvalidOperationException($"Step kind {step.Kind} cannot follow the draft step.");
            }
        }

        machine.Configure(RouteDefinition.AcceptedStatus);
    }

    private bool CanDraft() =>
        caller is not null && caller.Role == route.First.Assignee.Role && Matches(route.First, caller);

    private bool IsSubmitter() => caller is not null && caller.UserId == report.SubmittedBy;

    /// <summary>An assignee of the step, themselves or as deputy, who did not submit this round.</summary>
    private bool MayDecide(RouteStep step) =>
        caller is not null
        && caller.UserId != report.SubmittedBy
        && caller.Identities.Any(identity => identity.UserId != report.SubmittedBy && Matches(step, identity));

    /// <summary>The guards of a decision: the caller is an assignee, and has not decided in this round yet.</summary>
    private Tuple<Func<bool>, string>[] Decide(RouteStep step) =>
        [Tuple.Create<Func<bool>, string>(() => MayDecide(step), CallerGuard), Tuple.Create<Func<bool>, string>(() => NotDecidedYet(step), DutiesGuard)];

    /// <summary>
    /// Nobody who already took a decision in this round (approve, return, concur, object, accept),
    /// themselves or as someone's deputy, takes another; nor does anyone act for a principal whose
    /// authority was already used in it.
    /// </summary>
    private bool NotDecidedYet(RouteStep step) =>
        caller is not null && !Deciders.Has(report.RoundDeciders, caller.UserId) && caller.Identities.Any(identity => Unspent(step, identity));

    private bool Unspent(RouteStep step, Caller identity) =>
        identity.UserId != report.SubmittedBy && !Deciders.Has(report.RoundDeciders, identity.UserId) && Matches(step, identity);

    private bool Matches(RouteStep step, Caller identity)
    {
        if (identity.Role != step.Assignee.Role)
        {
            return false;
        }

        return step.Assignee.Scope switch
        {
            AssigneeScope.Section => identity.SectionCode == report.SectionCode,
            AssigneeScope.Department => identity.DepartmentCode == report.DepartmentCode,
            AssigneeScope.Hq => true,
            AssigneeScope.Sections => openTasks.Any(t => t.StepId == step.Id && t.AssigneeSectionCode == identity.SectionCode),
            _ => false,
        };
    }

    private sealed record SampleInstance(string Status) : IRouteInstance
    {
        public string SectionCode => string.Empty;
        public string DepartmentCode => string.Empty;
        public string? SubmittedBy => null;
        public string RoundDeciders => string.Empty;
    }
}
