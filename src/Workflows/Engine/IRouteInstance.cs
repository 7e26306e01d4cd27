namespace AomoriReform.Workflows.Engine;

/// <summary>What the route machine reads of a workflow instance (a progress report) to decide who may do what.</summary>
public interface IRouteInstance
{
    string Status { get; }

    /// <summary>The owning section and its department: the scope of section- and department-scoped steps.</summary>
    string SectionCode { get; }

    string DepartmentCode { get; }

    /// <summary>Who submitted the current round; nobody decides on their own submission.</summary>
    string? SubmittedBy { get; }

    /// <summary>Who decided at which step in the current round, as kept by <see cref="Deciders"/>.</summary>
    string RoundDeciders { get; }

    /// <summary>The step of the last forward action (submit, approve, concur), null after a recall or a return.</summary>
    string? LastStepId { get; }

    /// <summary>Who took it, and for whom when as a deputy: they may recall (引戻し) until the next actor acts.</summary>
    string? LastActorId { get; }

    string? LastOnBehalfOfId { get; }

    /// <summary>The sections the measure asks to concur, space-separated, for a step with <c>sections: measure</c>.</summary>
    string ConsultSections { get; }

    /// <summary>The measure's quorum for them; null: the route's, else all.</summary>
    int? ConsultRequired { get; }

    /// <summary>The sections that concurred at the current consultation, space-separated.</summary>
    string Concurred { get; }
}

/// <summary>
/// Who decided at which step in the current round (since the last submit), as the actor or as the
/// principal acted for: "step:user" entries, space-separated. One person, one decision per round;
/// a return to a step, or a recall, takes back the decisions from that step on.
/// </summary>
public static class Deciders
{
    private static IEnumerable<(string Step, string User)> Entries(string deciders) =>
        deciders.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 ? (e[..colon], e[(colon + 1)..]) : (string.Empty, e));

    private static string Join(IEnumerable<(string Step, string User)> entries) =>
        string.Join(' ', entries.Select(e => e.Step.Length == 0 ? e.User : $"{e.Step}:{e.User}"));

    /// <summary>Did the user decide at any step of this round?</summary>
    public static bool Has(string deciders, string userId) => Entries(deciders).Any(e => e.User == userId);

    public static string Add(string deciders, string stepId, string userId) =>
        Entries(deciders).Contains((stepId, userId)) ? deciders : Join(Entries(deciders).Append((stepId, userId)));

    /// <summary>Forgets the decisions taken at the given steps (a return to the first of them, or a recall).</summary>
    public static string Forget(string deciders, IReadOnlyCollection<string> stepIds) => Join(Entries(deciders).Where(e => !stepIds.Contains(e.Step)));

    /// <summary>Forgets one person's decision at one step.</summary>
    public static string Forget(string deciders, string stepId, string userId) => Join(Entries(deciders).Where(e => e != (stepId, userId)));
}
