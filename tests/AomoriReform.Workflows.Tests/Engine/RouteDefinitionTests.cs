using AomoriReform.Workflows.Engine;

namespace AomoriReform.Tests.Engine;

public sealed class RouteDefinitionTests
{
    /// <summary>A three-step route (draft, section approval, HQ review); other engine tests build on it too.</summary>
    internal const string Valid = """
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

        Assert.Equal(["progress-report", "progress-report-consult", "progress-report-hq-head", "progress-report-with-head"], routes.Select(r => r.Name).Distinct().Order());
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
    [InlineData("dueDays: 7", "dueDay: 7", 13, "unknown key 'dueDay'")]
    public void An_invalid_file_is_refused_naming_the_file_and_line(string from, string to, int line, string problem)
    {
        var error = Assert.Throws<RouteDefinitionException>(() => RouteDefinition.Parse("broken.yaml", Valid.Replace(from, to, StringComparison.Ordinal)));

        Assert.Equal(("broken.yaml", line), (error.FileName, error.Line));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Route definition broken.yaml, line {line}:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("name: test-route", "name: Test Route", 1, "must be a lowercase slug")]
    [InlineData("id: approval", "id: Approval Step", 9, "step id 'Approval Step'")]
    [InlineData("status: Submitted", "status: submitted", 11, "status 'submitted'")]
    [InlineData("title: テスト", "title: [a, b]", 3, "title is one line of text")]
    public void Names_and_statuses_are_what_the_database_and_the_pages_can_hold(string from, string to, int line, string problem)
    {
        var error = Assert.Throws<RouteDefinitionException>(() => RouteDefinition.Parse("broken.yaml", Valid.Replace(from, to, StringComparison.Ordinal)));

        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_nested_too_deep_or_with_aliases_is_refused_before_it_is_parsed()
    {
        Assert.Contains("nested deeper", Assert.Throws<RouteDefinitionException>(() => RouteDefinition.Parse("deep.yaml", "steps: " + new string('[', 5_000) + new string(']', 5_000))).Problem, StringComparison.Ordinal);
        Assert.Contains("alias", Assert.Throws<RouteDefinitionException>(() => RouteDefinition.Parse("alias.yaml", "name: &n a\ntitle: *n\n")).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_approval_rules_name_shipped_routes_and_choose_by_class_then_budget()
    {
        var routes = RouteDefinitionLoader.ShippedFiles().Select(f => RouteDefinition.Parse(f.FileName, f.Yaml).Name).ToHashSet();
        var (fileName, yaml) = Assert.Single(ApprovalRulesLoader.ShippedFiles());

        var rules = ApprovalRuleSet.Parse(fileName, yaml, routes);

        Assert.Equal(("approval-rules", 1, new DateOnly(2025, 4, 1)), (rules.Name, rules.Version, rules.EffectiveFrom));
        Assert.Equal("progress-report", rules.Choose("section-chief", null)!.Route);
        Assert.Equal("progress-report", rules.Choose("section-chief", 99_999_999)!.Route);
        Assert.Equal("progress-report-with-head", rules.Choose("section-chief", 100_000_000)!.Route);
        Assert.Equal("progress-report-hq-head", rules.Choose("hq-head", null)!.Route);
        Assert.Null(rules.Choose("unknown-class", 1));
        Assert.Null(rules.Choose(null, 1));
        Assert.Equal(rules.ToJson(), ApprovalRuleSet.FromJson(rules.ToJson()).ToJson());
        var broken = "name: x\nversion: 1\neffectiveFrom: 2025-04-31\nrules:\n  - class: a\n    route: progress-report\n";
        Assert.StartsWith("Approval rules broken.yaml, line 3: effectiveFrom '2025-04-31' is not a date", Assert.Throws<ApprovalRulesException>(() => ApprovalRuleSet.Parse("broken.yaml", broken, routes)).Message, StringComparison.Ordinal);
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
