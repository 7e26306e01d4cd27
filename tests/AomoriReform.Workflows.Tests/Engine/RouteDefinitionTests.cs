using AomoriReform.Workflows.Engine;

namespace AomoriReform.Tests.Engine;

public sealed class RouteDefinitionTests
{
    private const string Valid = """
        name: test-route
        version: 1
        title: テスト
        steps:
          - id: draft
            kind: draft
            status: Draft
            assignee: { role: Staff, scope: section }
          - id: approval
            kind: approve
            status: Submitted
            assignee: { role: SectionChief, scope: section }
            dueDays: 7
            reminders: [1, 3]
          - id: review
            kind: review
            status: SectionApproved
            assignee: { role: HqReviewer, scope: hq }
        """;

    [Fact]
    public void The_shipped_routes_parse_and_each_ends_in_an_hq_review()
    {
        var routes = RouteDefinitionLoader.ShippedFiles().Select(f => RouteDefinition.Parse(f.FileName, f.Yaml)).ToList();

        Assert.Equal(["progress-report", "progress-report-consult", "progress-report-with-head"], routes.Select(r => r.Name).Distinct().Order());
        Assert.All(routes, r => Assert.Equal(StepKind.Review, r.Steps[^1].Kind));
        var consult = routes.Where(r => r.Name == "progress-report-consult").ToDictionary(r => r.Version, r => r.Steps.Single(s => s.Kind == StepKind.Consult));
        Assert.Equal(["zaisei", "digital-senryaku"], consult[1].Assignee.Sections);
        // Version 2 asks the sections the measure names, and is decided report by report.
        Assert.True(consult[2].Assignee.FromMeasure);
        Assert.False(consult[2].Bulk);
        Assert.All(routes.Where(r => r.Version == 2).SelectMany(r => r.Steps.Skip(1)), s => Assert.True(s.BusinessDays, $"{s.Id} counts business days"));
    }

    [Fact]
    public void A_valid_file_keeps_its_offsets()
    {
        var route = RouteDefinition.Parse("test.yaml", Valid);

        Assert.Equal(7, route.Steps[1].DueDays);
        Assert.Equal([3, 1], route.Steps[1].Reminders);
        Assert.Equal(route.ToJson(), RouteDefinition.FromJson(route.ToJson()).ToJson());
    }

    [Theory]
    [InlineData("role: SectionChief, scope: section", "role: Boss, scope: section", 12, "unknown role 'Boss'")]
    [InlineData("id: approval", "id: draft", 9, "duplicate step 'draft'")]
    [InlineData("kind: review", "kind: approve", 5, "no final step")]
    [InlineData("kind: approve", "kind: sign", 10, "unknown step kind 'sign'")]
    public void An_invalid_file_is_refused_naming_the_file_and_line(string from, string to, int line, string problem)
    {
        var error = Assert.Throws<RouteDefinitionException>(() => RouteDefinition.Parse("broken.yaml", Valid.Replace(from, to, StringComparison.Ordinal)));

        Assert.Equal(("broken.yaml", line), (error.FileName, error.Line));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Route definition broken.yaml, line {line}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_mermaid_diagram_comes_from_the_same_state_machine()
    {
        var diagram = RouteMachine.Mermaid(RouteDefinition.Parse("test.yaml", Valid));

        Assert.StartsWith("stateDiagram-v2", diagram, StringComparison.Ordinal);
        Assert.Contains("Draft --> Submitted : Submit", diagram, StringComparison.Ordinal);
        Assert.Contains("Submitted --> Draft : Recall", diagram, StringComparison.Ordinal);
        Assert.Contains("SectionApproved --> Accepted : Accept", diagram, StringComparison.Ordinal);
    }
}
