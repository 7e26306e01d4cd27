using AomoriReform.Workflows.Organisation;

namespace AomoriReform.Workflows.Callers;

/// <summary>A person acting, with the chiefs or heads who named them deputy (代理) for today.</summary>
public sealed record Caller(string UserId, string Name, Role Role, string? SectionCode, string? DepartmentCode, IReadOnlyList<Caller> DeputyFor)
{
    /// <summary>Who this caller can act as: themselves first, then their principals.</summary>
    public IEnumerable<Caller> Identities => DeputyFor.Prepend(this);
}
