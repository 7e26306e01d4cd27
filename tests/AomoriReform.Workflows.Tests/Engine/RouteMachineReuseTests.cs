using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Reports;

namespace AomoriReform.Tests.Engine;

/// <summary>A route's Stateless machines are configured once and lent to one RouteMachine at a time.</summary>
public sealed class RouteMachineReuseTests
{
    private const string Route = RouteDefinitionTests.Valid;

    private static readonly Caller Staff = new("staff-1", "職員", Role.Staff, "gyosei-keiei", "somu", []);
    private static readonly Caller Chief = new("chief-1", "課長", Role.SectionChief, "gyosei-keiei", "somu", []);
    private static readonly Caller Reviewer = new("hq-1", "本部", Role.HqReviewer, "gyosei", "somu", []);

    [Fact]
    public void A_routes_machine_reused_answers_for_each_report_and_caller_it_is_lent_to()
    {
        var route = RouteDefinition.Parse("reuse.yaml", Route);
        var cases = new (ProgressReport Report, Caller Caller, ReportAction Action, string Permitted, string After)[]
        {
            (Report("Draft", submittedBy: null), Staff, ReportAction.Submit, "Save Submit", "Submitted"),
            (Report("Submitted", submittedBy: "staff-1"), Chief, ReportAction.Approve, "Approve Return", "SectionApproved"),
            (Report("SectionApproved", submittedBy: "staff-1"), Reviewer, ReportAction.Accept, "Return Accept", "Accepted"),
            // The staff member may do nothing once the chief holds the report; the chief nothing on a draft.
            (Report("Submitted", submittedBy: "staff-1"), Staff, ReportAction.Approve, string.Empty, string.Empty),
            (Report("Draft", submittedBy: null), Chief, ReportAction.Submit, string.Empty, string.Empty),
        };

        // Round after round, each case gets a machine the one before it used for another report and caller.
        var answers = new List<string>();
        for (var round = 0; round < 3; round++)
        {
            foreach (var (report, caller, action, _, _) in cases)
            {
                var machine = new RouteMachine(route, report, [], caller);
                var check = machine.Check(action);
                answers.Add($"{string.Join(' ', machine.Permitted())}|{(check is null ? machine.Fire(action) : string.Empty)}");
            }
        }

        Assert.Equal(Enumerable.Repeat(cases.Select(c => $"{c.Permitted}|{c.After}"), 3).SelectMany(c => c), answers);
        // A refusal still tells 403 from 409 on a reused machine.
        Assert.Equal(Refusal.Caller, new RouteMachine(route, Report("Submitted", "staff-1"), [], Staff).Check(ReportAction.Approve));
        Assert.Equal(Refusal.State, new RouteMachine(route, Report("Draft", null), [], Chief).Check(ReportAction.Approve));
    }

    [Fact]
    public void The_diagram_starts_at_the_draft_after_the_routes_machines_served_later_steps()
    {
        var route = RouteDefinition.Parse("reuse.yaml", Route);
        Assert.Equal([ReportAction.Return, ReportAction.Accept], new RouteMachine(route, Report("SectionApproved", "staff-1"), [], Reviewer).Permitted());

        var diagram = RouteMachine.Mermaid(route);

        Assert.Contains("[*] --> Draft", diagram, StringComparison.Ordinal);
        Assert.DoesNotContain("[*] --> SectionApproved", diagram, StringComparison.Ordinal);
    }

    private static ProgressReport Report(string status, string? submittedBy) => new()
    {
        Id = Guid.CreateVersion7(), MeasureId = Guid.CreateVersion7(), MeasureCode = "2.1.1-01", ItemCode = "2.1.1", SectionCode = "gyosei-keiei", DepartmentCode = "somu",
        FiscalYear = 2026, RouteName = "test-route", RouteVersion = 1, StepId = status, Status = status, Version = 2, SubmittedBy = submittedBy,
        DueDate = new DateOnly(2026, 5, 29), CreatedAt = DateTime.UnixEpoch, UpdatedAt = DateTime.UnixEpoch,
    };
}
