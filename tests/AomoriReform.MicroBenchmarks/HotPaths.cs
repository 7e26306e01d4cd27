using System.Text.Json;
using AomoriReform.Contracts.Reports;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Reports;
using BenchmarkDotNet.Attributes;

namespace AomoriReform.MicroBenchmarks;

/// <summary>One approval's CPU-only steps, on the standard route (progress-report v2) at its section-approval step.</summary>
[MemoryDiagnoser]
public class HotPaths
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private RouteDefinition route = null!;
    private ProgressReport report = null!;
    private WorkTask[] openTasks = null!;
    private Caller chief = null!;
    private JournalKeys keys = null!;

    [GlobalSetup]
    public void Setup()
    {
        const string name = "progress-report.v2.yaml";
        var assembly = typeof(RouteDefinition).Assembly;
        using var stream = assembly.GetManifestResourceStream(assembly.GetManifestResourceNames().Single(n => n.EndsWith("." + name, StringComparison.Ordinal)))!;
        using var reader = new StreamReader(stream);
        route = RouteDefinition.Parse(name, reader.ReadToEnd());
        var now = new DateTime(2026, 5, 1, 0, 0, 0, DateTimeKind.Utc);
        report = new ProgressReport
        {
            Id = Guid.CreateVersion7(), MeasureId = Guid.CreateVersion7(), MeasureCode = "2.1.1-01", ItemCode = "2.1.1", SectionCode = "gyosei-keiei", DepartmentCode = "somu",
            FiscalYear = 2025, RouteName = route.Name, RouteVersion = route.Version, StepId = "section-approval", Status = "Submitted", Version = 2,
            SubmittedBy = "staff-1", DueDate = new DateOnly(2026, 5, 29), CreatedAt = now, UpdatedAt = now,
        };
        openTasks =
        [
            new WorkTask { Id = Guid.CreateVersion7(), ReportId = report.Id, StepId = "section-approval", AssigneeRole = Role.SectionChief, AssigneeSectionCode = "gyosei-keiei", State = WorkTaskState.Open, DueDate = report.DueDate, CreatedAt = now },
        ];
        chief = new Caller("chief-1", "佐藤 花子", Role.SectionChief, "gyosei-keiei", "somu", []);
        keys = new JournalKeys("bench", new Dictionary<string, byte[]> { ["bench"] = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray() });
    }

    /// <summary>What the report page and the API's permittedActions ask: the route machine, built for this report and caller.</summary>
    [Benchmark]
    public int Permitted_actions() => new RouteMachine(route, report, openTasks, chief).Permitted().Count;

    /// <summary>What an action asks before it changes anything: may this caller approve now?</summary>
    [Benchmark]
    public Refusal? Check_approve() => new RouteMachine(route, report, openTasks, chief).Check(ReportAction.Approve);

    /// <summary>The journal entry of the approval, hashed and signed (HMAC-SHA256) after the report's head.</summary>
    [Benchmark]
    public string Journal_entry() =>
        Journal.Append(keys, report, report.UpdatedAt, chief.UserId, chief.Name, null, null, "approve", "Submitted", "SectionApproved", "確認しました", new JournalPlace("section-approval", "SectionChief", "gyosei-keiei")).Hash;

    /// <summary>The approval's event as the outbox stores it.</summary>
    [Benchmark]
    public int Event_json() => JsonSerializer.Serialize(ReportWorkflow.Event<ReportApproved>(report, "Submitted", chief, null, [], report.UpdatedAt), Web).Length;
}
