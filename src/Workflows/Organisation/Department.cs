namespace AomoriReform.Workflows.Organisation;

/// <summary>A department (部局) of the prefectural government.</summary>
public sealed class Department
{
    /// <summary>Stable lowercase ASCII slug, e.g. <c>somu</c>.</summary>
    public required string Code { get; set; }
    public required string Name { get; set; }
    public List<Section> Sections { get; } = [];
}

/// <summary>A section (課) of a department; sections own the plan's measures.</summary>
public sealed class Section
{
    /// <summary>Stable lowercase ASCII slug, unique across departments, e.g. <c>gyosei-keiei</c>.</summary>
    public required string Code { get; set; }
    public required string Name { get; set; }
    public required string DepartmentCode { get; set; }
    public Department? Department { get; set; }
}
