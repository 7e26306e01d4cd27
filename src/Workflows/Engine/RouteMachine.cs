using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using AomoriReform.Workflows.Callers;
using Stateless;
using Stateless.Graph;
using Stateless.Reflection;

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
/// <remarks>
/// Beyond a generic engine's approve and reject, it knows the Japanese paper practice: 引戻し
/// (recall) by whoever acted last at any step, until the next actor acts; 差戻し (return) to any
/// earlier step, after which every later step decides again; 合議 (consultation) of the sections a
/// measure names, all of them or a quorum, skipped when there are none; and 代決 (a deputy deciding
/// for an absent principal), one decision per person per round either way.
/// <para>
/// Configuring a Stateless machine for a route cost about a twenty-fifth of the host's CPU under load when it was
/// done twice per action, so a route's machines are configured once and reused: the guards and
/// destinations read the <see cref="RouteMachine"/> a machine is lent to, one use at a time.
/// </para>
/// </remarks>
public sealed class RouteMachine
{
    private const string CallerGuard = "caller";

    /// <summary>One person, one decision per round: a caller guard too (403, never listed as permitted).</summary>
    private const string DutiesGuard = "caller: one decision per person per round";

    private const string RecallGuard = "the last forward action is still the last (nobody acted since)";

    /// <summary>Each route's configured machines not in use; reference-keyed, so a route nobody holds any more takes its machines with it.</summary>
    private static readonly ConditionalWeakTable<RouteDefinition, ConcurrentBag<Configured>> Idle = new();

    private readonly RouteDefinition route;
    private readonly IRouteInstance report;
    private readonly IReadOnlyCollection<WorkTask> openTasks;
    private readonly Caller? caller;
    private RouteStep? returnTo;

    // The machine's state while one is lent to this instance: the report's status until Fire moves it.
    private string status;

    public RouteMachine(RouteDefinition route, IRouteInstance report, IReadOnlyCollection<WorkTask> openTasks, Caller? caller)
    {
        this.route = route;
        this.report = report;
        this.openTasks = openTasks;
        this.caller = caller;
        status = report.Status;
    }

    /// <summary>The actions the caller may take now, in a stable order.</summary>
    public IReadOnlyList<ReportAction> Permitted() =>
        caller is null ? [] : Use(machine => Enum.GetValues<ReportAction>().Where(machine.CanFire).ToList());

    /// <summary>Null when the caller may take the action; otherwise why not.</summary>
    public Refusal? Check(ReportAction action) => Use(machine =>
        machine.CanFire(action, out var unmet) ? (Refusal?)null
        : unmet is { Count: > 0 } && unmet.All(g => g is CallerGuard or DutiesGuard) ? Refusal.Caller : Refusal.State);

    /// <summary>The status the report moves to. Call only after <see cref="Check"/> allowed it; a return goes to <paramref name="toStep"/> (default the draft).</summary>
    public string Fire(ReportAction action, RouteStep? toStep = null)
    {
        returnTo = toStep;
        return Use(machine =>
        {
            machine.Fire(action);
            return status;
        });
    }

    public RouteStep? CurrentStep => route.AtStatus(report.Status);

    /// <summary>The earlier steps a return (差戻し) may go back to, in route order, the draft first.</summary>
    public IReadOnlyList<RouteStep> ReturnTargets =>
        CurrentStep is { } current && report.Status != RouteDefinition.ReturnedStatus
            ? route.Steps.Take(route.IndexOf(current.Id)).Where(s => !IsSkipped(s)).ToList()
            : [];

    /// <summary>The step a recall goes back to, when one may be recalled.</summary>
    public RouteStep? RecallTarget => report.LastStepId is { } last && route.Find(last) is { } step && CurrentStep is { } current
        && route.IndexOf(step.Id) < route.IndexOf(current.Id) && report.Status != RouteDefinition.AcceptedStatus ? step : null;

    /// <summary>The sections a consultation step asks, never the owning section (it decided at its own step).</summary>
    public IReadOnlyList<string> ConsultedSections(RouteStep step) => Consulted(step, report);

    public static IReadOnlyList<string> Consulted(RouteStep step, IRouteInstance report) =>
        step.Kind != StepKind.Consult ? []
        : (step.Assignee.FromMeasure ? report.ConsultSections.Split(' ', StringSplitOptions.RemoveEmptyEntries) : step.Assignee.Sections)
            .Where(s => s != report.SectionCode).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>How many of the consulted sections must concur: the measure's quorum, else the route's, else all.</summary>
    public int RequiredConcurrences(RouteStep step)
    {
        var asked = ConsultedSections(step).Count;
        var required = (step.Assignee.FromMeasure ? report.ConsultRequired : null) ?? step.Required ?? asked;
        return Math.Clamp(required, 1, Math.Max(asked, 1));
    }

    /// <summary>A consultation with nobody to ask is skipped.</summary>
    public bool IsSkipped(RouteStep step) => step.Kind == StepKind.Consult && ConsultedSections(step).Count == 0;

    /// <summary>The step after <paramref name="step"/> that asks someone; null when the report is then accepted.</summary>
    public RouteStep? NextActive(RouteStep step)
    {
        for (var next = route.After(step); next is not null; next = route.After(next))
        {
            if (!IsSkipped(next))
            {
                return next;
            }
        }

        return null;
    }

    /// <summary>May the caller add a comment (意見) at the current step without moving the report?</summary>
    public Refusal? CheckComment()
    {
        if (CurrentStep is not { } step || report.Status == RouteDefinition.AcceptedStatus)
        {
            return Refusal.State;
        }

        return caller is not null && caller.Identities.Any(identity => step.Kind == StepKind.Consult
            ? identity.Role == step.Assignee.Role && identity.SectionCode is { } section && ConsultedSections(step).Contains(section)
            : Matches(step, identity)) ? null : Refusal.Caller;
    }

    /// <summary>The identity (the caller, or the principal they deputise for) that may act on the current step.</summary>
    public Caller? ActingIdentity(ReportAction action)
    {
        if (caller is null)
        {
            return null;
        }

        if (action is ReportAction.Save or ReportAction.Submit)
        {
            return caller;
        }

        if (action == ReportAction.Recall)
        {
            // A deputy takes back what they decided for their principal, in the principal's name again.
            return report.LastOnBehalfOfId is { } principal && report.LastActorId == caller.UserId
                ? caller.DeputyFor.FirstOrDefault(p => p.UserId == principal) ?? caller
                : caller;
        }

        var step = CurrentStep;
        return step is null ? null
            : caller.Identities.FirstOrDefault(identity => Unspent(step, identity)) ?? caller.Identities.FirstOrDefault(identity => Matches(step, identity));
    }

    /// <summary>The route as a Mermaid state diagram, from the same machine configuration.</summary>
    public static string Mermaid(RouteDefinition route) =>
        MermaidGraph.Format(new Configured(route, new RouteMachine(route, new SampleInstance(route.First.Status), [], null)).Machine.GetInfo());

    /// <summary>Runs <paramref name="use"/> on one of the route's configured machines, lent to this instance for the call.</summary>
    private T Use<T>(Func<StateMachine<string, ReportAction>, T> use)
    {
        var idle = Idle.GetValue(route, _ => []);
        if (idle.TryTake(out var configured))
        {
            configured.Lent = this;
        }
        else
        {
            configured = new Configured(route, this);
        }

        try
        {
            return use(configured.Machine);
        }
        finally
        {
            configured.Lent = null;
            idle.Add(configured);
        }
    }

    /// <summary>
    /// A route's Stateless machine, configured once. Its state, guards and destinations belong to the
    /// <see cref="RouteMachine"/> it is lent to; it fires in immediate mode, so it keeps nothing of a
    /// use (no queue of triggers) for the next. Stateless reads the state once when it is made, as the
    /// initial state of <see cref="StateMachine{TState, TTrigger}.GetInfo"/>; only the diagram, which
    /// makes its own, reads that back.
    /// </summary>
    private sealed class Configured
    {
        public Configured(RouteDefinition route, RouteMachine first)
        {
            Lent = first;
            Machine = new StateMachine<string, ReportAction>(() => Current.status, s => Current.status = s, FiringMode.Immediate);
            Configure(Machine, route, () => Current);
        }

        public StateMachine<string, ReportAction> Machine { get; }

        public RouteMachine? Lent { get; set; }

        private RouteMachine Current => Lent ?? throw new InvalidOperationException("A route's machine was used while lent to nobody.");
    }

    private static void Configure(StateMachine<string, ReportAction> machine, RouteDefinition route, Func<RouteMachine> lent)
    {
        var draft = route.First;
        var draftState = machine.Configure(draft.Status).PermitReentryIf(ReportAction.Save, () => lent().CanDraft(), CallerGuard);
        Permit(draftState, ReportAction.Submit, Forward(route, draft), () => lent().StatusAfter(draft), Tuple.Create<Func<bool>, string>(() => lent().CanDraft(), CallerGuard));
        machine.Configure(RouteDefinition.ReturnedStatus).SubstateOf(draft.Status);

        foreach (var step in route.Steps.Skip(1))
        {
            var state = machine.Configure(step.Status);
            var earlier = route.Steps.Take(route.IndexOf(step.Id)).ToList();
            // Someone who acted earlier in the round, and was followed, meets the state (409); someone who never acted, the caller guard (403).
            Permit(state, ReportAction.Recall, earlier.Select(s => s.Status), () => lent().RecallTarget!.Status,
                Tuple.Create<Func<bool>, string>(() => lent() is var m && m.RecallTarget is not null && (m.IsLastActor() || !m.ActedThisRound()), RecallGuard),
                Tuple.Create<Func<bool>, string>(() => lent().IsLastActor(), CallerGuard));
            var returns = earlier.Skip(1).Select(s => s.Status).Prepend(RouteDefinition.ReturnedStatus);
            switch (step.Kind)
            {
                case StepKind.Approve:
                    Permit(state, ReportAction.Approve, Forward(route, step), () => lent().StatusAfter(step), Decide(step, lent));
                    Permit(state, ReportAction.Return, returns, () => lent().ReturnStatus(), Decide(step, lent));
                    break;
                case StepKind.Review:
                    Permit(state, ReportAction.Accept, Forward(route, step), () => lent().StatusAfter(step), Decide(step, lent));
                    Permit(state, ReportAction.Return, returns, () => lent().ReturnStatus(), Decide(step, lent));
                    break;
                case StepKind.Consult:
                    // The listed sections concur in parallel; the concurrence that reaches the quorum moves the report on.
                    Permit(state, ReportAction.Concur, Forward(route, step).Prepend(step.Status), () => lent().ConcurStatus(step), Decide(step, lent));
                    state.PermitIf(ReportAction.Object, RouteDefinition.ReturnedStatus, Decide(step, lent));
                    break;
                default:
                    throw new InvalidOperationException($"Step kind {step.Kind} cannot follow the draft step.");
            }
        }

        machine.Configure(RouteDefinition.AcceptedStatus);
    }

    /// <summary>
    /// A transition to its one destination, or, where it can lead to several (a return to a chosen
    /// step, past a consultation that may be skipped), to the one chosen at the time; the diagram
    /// shows each possible destination.
    /// </summary>
    private static void Permit(
        StateMachine<string, ReportAction>.StateConfiguration state, ReportAction action, IEnumerable<string> destinations, Func<string> choose,
        params Tuple<Func<bool>, string>[] guards)
    {
        var possible = destinations.Distinct().ToList();
        if (possible.Count == 1 && possible[0] != state.State)
        {
            state.PermitIf(action, possible[0], guards);
        }
        else
        {
            state.PermitDynamicIf(action, choose, Destinations(possible), guards);
        }
    }

    /// <summary>Where a step's decision can lead, for the diagram: the following steps (some may be skipped), then accepted.</summary>
    private static IEnumerable<string> Forward(RouteDefinition route, RouteStep step)
    {
        for (var next = route.After(step); next is not null; next = route.After(next))
        {
            yield return next.Status;
            if (next.Kind != StepKind.Consult)
            {
                // Only a consultation can be skipped.
                yield break;
            }
        }

        yield return RouteDefinition.AcceptedStatus;
    }

    private static DynamicStateInfos Destinations(IEnumerable<string> states)
    {
        var infos = new DynamicStateInfos();
        foreach (var state in states.Distinct())
        {
            infos.Add(state, state);
        }

        return infos;
    }

    private string StatusAfter(RouteStep step) => NextActive(step)?.Status ?? RouteDefinition.AcceptedStatus;

    private string ConcurStatus(RouteStep step)
    {
        var concurred = report.Concurred.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        return concurred + 1 >= RequiredConcurrences(step) ? StatusAfter(step) : step.Status;
    }

    private string ReturnStatus() =>
        returnTo is null || returnTo.Kind == StepKind.Draft ? RouteDefinition.ReturnedStatus : returnTo.Status;

    private bool CanDraft() =>
        caller is not null && caller.Role == route.First.Assignee.Role && Matches(route.First, caller);

    /// <summary>The person who took the last forward action, or the principal they took it for.</summary>
    private bool IsLastActor() =>
        caller is not null && report.LastActorId is not null
        && (caller.UserId == report.LastActorId || caller.UserId == report.LastOnBehalfOfId);

    private bool ActedThisRound() =>
        caller is not null && (caller.UserId == report.SubmittedBy || Deciders.Has(report.RoundDeciders, caller.UserId));

    /// <summary>An assignee of the step, themselves or as deputy, who did not submit this round.</summary>
    private bool MayDecide(RouteStep step) =>
        caller is not null
        && caller.UserId != report.SubmittedBy
        && caller.Identities.Any(identity => identity.UserId != report.SubmittedBy && Matches(step, identity));

    /// <summary>The guards of a decision: the caller is an assignee, and has not decided in this round yet.</summary>
    private static Tuple<Func<bool>, string>[] Decide(RouteStep step, Func<RouteMachine> lent) =>
        [Tuple.Create<Func<bool>, string>(() => lent().MayDecide(step), CallerGuard), Tuple.Create<Func<bool>, string>(() => lent().NotDecidedYet(step), DutiesGuard)];

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
            AssigneeScope.Sections => openTasks.Any(t => t.StepId == step.Id && t.Kind == WorkTaskKind.Action && t.AssigneeSectionCode == identity.SectionCode),
            _ => false,
        };
    }

    private sealed record SampleInstance(string Status) : IRouteInstance
    {
        public string SectionCode => string.Empty;
        public string DepartmentCode => string.Empty;
        public string? SubmittedBy => null;
        public string RoundDeciders => string.Empty;
        public string? LastStepId => null;
        public string? LastActorId => null;
        public string? LastOnBehalfOfId => null;

        // The diagram shows the route as written: a consultation from the measure is drawn as if someone is asked.
        public string ConsultSections => "*";
        public int? ConsultRequired => null;
        public string Concurred => string.Empty;
    }
}
