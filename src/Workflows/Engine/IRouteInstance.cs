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

    /// <summary>Who decided in the current round, as kept by <see cref="Deciders"/>.</summary>
    string RoundDeciders { get; }
}

/// <summary>
/// The people who took a decision in the current round (since the last submit), as the actor or
/// as the principal acted for, space-separated: one person, one decision per round.
/// </summary>
public static class Deciders
{
    public static bool Has(string deciders, string userId) =>
        deciders.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(userId, StringComparer.Ordinal);

    public static string Add(string deciders, string userId) =>
        Has(deciders, userId) ? deciders : deciders.Length == 0 ? userId : $"{deciders} {userId}";
}
