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

        Assert.Equal(["progress-report", "progress-report-consult", "progress-report-with-head"], routes.Select(r => r.Name).Order());
        Assert.All(routes, r => Assert.Equal(StepKind.Review, r.Steps[^1].Kind));
        Assert.Equal(["zaisei", "digital-senryaku"], routes.Single(r => r.Name == "progress-report-consult").Steps.Single(s => s.Kind == StepKind.Consult).Assignee.Sections);
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
