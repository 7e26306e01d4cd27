using System.Text;
using System.Text.Json;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Definitions;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Definitions;

/// <summary>
/// 決裁区分 routing and the publishing of routes and rules, as the application services answer
/// them: the rules in force on the day a check-in opens choose each measure's route by its class
/// (and budget); a later version applies from its date only; running reports keep their route; a
/// retired route version starts nothing; a bad file is refused by line, a version twice is a
/// conflict, and every publication and retirement is in the signed audit trail.
/// </summary>
public abstract class RoutesAndRulesTests(Profile profile) : IAsyncLifetime
{
    private static readonly Caller Admin = new("admin-1", "管理者 太郎", AomoriReform.Workflows.Organisation.Role.HqAdmin, null, null, []);

    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        // 1 April 2025, 09:00 in Japan: the shipped rules (effective 2025-04-01) are in force.
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync(
            "user,staff@pref.example.jp,担当 一郎,kikaku-chosei,Staff\r\n" +
            "user,chief@pref.example.jp,企画調整課長 二郎,kikaku-chosei,SectionChief\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n");
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private Task<CheckInView> OpenAsync(int year) => services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
        opener.OpenAsync(new CheckInRequest(year, new DateOnly(year + 1, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();

    private Task<ProgressReport> ReportAsync(string measure, int year) =>
        services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.MeasureCode == measure && r.FiscalYear == year));

    private static DefinitionFile File(string yaml, string name = "upload.yaml") => new(Encoding.UTF8.GetBytes(yaml), name);

    private Task<Outcome<RoutePublication>> PublishRouteAsync(string yaml, bool dryRun = false) =>
        services.In<RoutePublishing, Outcome<RoutePublication>>(p => p.PublishAsync(File(yaml), dryRun, Admin, CancellationToken.None));

    private Task<Outcome<RuleSetPublication>> PublishRulesAsync(string yaml, bool dryRun = false) =>
        services.In<RuleSetPublishing, Outcome<RuleSetPublication>>(p => p.PublishAsync(File(yaml), dryRun, Admin, CancellationToken.None));

    private Task<Outcome<PublishedRoute>> RetireRouteAsync(string name, int version) =>
        services.In<RoutePublishing, Outcome<PublishedRoute>>(p => p.RetireAsync(name, version, Admin, CancellationToken.None));

    private Task<List<AuditEvent>> AuditAsync() => services.Db(db => db.AuditEvents.AsNoTracking().OrderBy(e => e.Seq).ToListAsync());

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private async Task<ReportView> ActAsync(Guid id, string who, ReportAction action, int version) =>
        await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.ActAsync(id, action, version, null, await As(who), null, CancellationToken.None)).OkAsync();

    private async Task AssertAuditVerifies()
    {
        var verification = await services.In<JournalKeys, JournalVerification>(keys => services.Db(db => Journal.VerifyAsync(db, keys, CancellationToken.None)));
        Assert.True(verification.Valid, verification.Problem);
    }

    /// <summary>The shipped rules as version <paramref name="version"/>, effective from <paramref name="from"/>, with section-chief measures sent to the head's route.</summary>
    private static string Rules(int version, string from, string sectionChiefRoute = "progress-report-with-head") => $"""
        name: approval-rules
        version: {version}
        title: 決裁区分による決裁ルート（第{version}版）
        effectiveFrom: {from}
        rules:
          - class: section-chief
            route: {sectionChiefRoute}
          - class: department-head
            route: progress-report-with-head
          - class: hq-head
            route: progress-report-hq-head
        """;

    private static string ShippedRoute(string fileName) => RouteDefinitionLoader.ShippedFiles().Single(f => f.FileName == fileName).Yaml;

    [Fact]
    public async Task The_rules_in_force_choose_each_measures_route_by_its_class_and_budget_when_a_check_in_opens()
    {
        await OpenAsync(2025);

        var hqHead = await ReportAsync("2.2.2-02", 2025);
        Assert.Equal(("progress-report-hq-head", 1, "hq-head"), (hqHead.RouteName, hqHead.RouteVersion, hqHead.ApprovalClass));
        Assert.Equal("approval-rules v1: hq-head → progress-report-hq-head", hqHead.RouteRule);
        // 課長専決, but a budget of 150 million yen: the rule with the threshold sends it to the head.
        var large = await ReportAsync("2.1.4-04", 2025);
        Assert.Equal(("progress-report-with-head", "section-chief"), (large.RouteName, large.ApprovalClass));
        Assert.Equal("approval-rules v1: section-chief (budget ≥ 100,000,000) → progress-report-with-head", large.RouteRule);
        var small = await ReportAsync("2.2.1-03", 2025);
        Assert.Equal(("progress-report", 2, "approval-rules v1: section-chief → progress-report"), (small.RouteName, small.RouteVersion, small.RouteRule));
        // No class: the measure's own route, and no rule recorded.
        var consult = await ReportAsync("2.2.2-01", 2025);
        Assert.Equal(("progress-report-consult", null, null), (consult.RouteName, consult.ApprovalClass, consult.RouteRule));

        var view = await services.In<ReportWorkflow, Outcome<ReportView>>(async w => await w.GetAsync(hqHead.Id, await As("hq"), CancellationToken.None)).OkAsync();
        Assert.Equal(("hq-head", "approval-rules v1: hq-head → progress-report-hq-head", "progress-report-hq-head"), (view.ApprovalClass, view.RouteRule, view.Route));
        // The measure names no sections to consult, so the hq-head route's consultation is skipped.
        Assert.Equal(["draft", "section-approval", "department-approval", "consultation", "hq-review"], view.Steps.Select(s => s.Id));
        Assert.Equal("skipped", view.Steps.Single(s => s.Id == "consultation").State);
    }

    [Fact]
    public async Task A_later_rules_version_applies_only_from_its_effective_date_in_Japan()
    {
        var published = await PublishRulesAsync(Rules(2, "2026-04-01")).OkAsync();
        Assert.False(published.DryRun);

        await OpenAsync(2025);
        Assert.Equal(("progress-report", "approval-rules v1: section-chief → progress-report"), await RouteOf("1.1.1-02", 2025));

        // 31 March 2026, 23:59 in Japan: still version 1.
        services.Time.SetUtcNow(new DateTimeOffset(2026, 3, 31, 14, 59, 0, TimeSpan.Zero));
        var lists = await services.In<RuleSetPublishing, IReadOnlyList<RuleSetView>>(r => r.ListAsync(CancellationToken.None));
        Assert.Equal([1], lists.Where(l => l.InForce).Select(l => l.Published.Rules.Version));

        // 1 April 2026, 00:00 in Japan (still 31 March in UTC): version 2.
        services.Time.SetUtcNow(new DateTimeOffset(2026, 3, 31, 15, 0, 0, TimeSpan.Zero));
        await OpenAsync(2026);
        Assert.Equal(("progress-report-with-head", "approval-rules v2: section-chief → progress-report-with-head"), await RouteOf("1.1.1-02", 2026));
        Assert.Equal(("progress-report", "approval-rules v1: section-chief → progress-report"), await RouteOf("1.1.1-02", 2025));
    }

    private async Task<(string Route, string? Rule)> RouteOf(string measure, int year) =>
        await ReportAsync(measure, year) is var r ? (r.RouteName, r.RouteRule) : default;

    [Fact]
    public async Task A_running_report_keeps_its_route_when_the_rules_change()
    {
        await OpenAsync(2025);
        var report = await ReportAsync("1.1.1-02", 2025);
        var staff = await As("staff");
        var saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(report.Id, 1, new ReportContent(Progress.OnTrack, "実績", "次", []), staff, null, CancellationToken.None)).OkAsync();
        var submitted = await ActAsync(report.Id, "staff", ReportAction.Submit, saved.Version);

        // Effective today: section-chief measures go to the head's route from now on.
        await PublishRulesAsync(Rules(2, "2025-04-01")).OkAsync();

        var approved = await ActAsync(report.Id, "chief", ReportAction.Approve, submitted.Version);
        Assert.Equal(("progress-report", 2, "SectionApproved"), (approved.Route, approved.RouteVersion, approved.Status));
        var accepted = await ActAsync(report.Id, "hq", ReportAction.Accept, approved.Version);
        Assert.Equal("Accepted", accepted.Status);
        Assert.Equal("approval-rules v1: section-chief → progress-report", (await ReportAsync("1.1.1-02", 2025)).RouteRule);

        await OpenAsync(2026);
        Assert.Equal(("progress-report-with-head", "approval-rules v2: section-chief → progress-report-with-head"), await RouteOf("1.1.1-02", 2026));
    }

    [Fact]
    public async Task A_retired_route_version_gets_no_new_reports_while_its_running_reports_continue()
    {
        await OpenAsync(2025);
        var running = await ReportAsync("1.1.1-02", 2025);
        Assert.Equal(2, running.RouteVersion);

        var retired = await RetireRouteAsync("progress-report", 2).OkAsync();
        Assert.True(retired.Retired);
        // Again: done, nothing more journaled.
        await RetireRouteAsync("progress-report", 2).OkAsync();
        Assert.Equal(["route.retired"], (await AuditAsync()).Select(e => e.Kind));

        // Version 1 is the only active one left, and measures take the route: refused, naming why.
        var refused = await RetireRouteAsync("progress-report", 1);
        Assert.Equal(OutcomeKind.Conflict, refused.Kind);
        Assert.Contains("only active version of progress-report", refused.Failure!.Detail, StringComparison.Ordinal);
        Assert.Contains("1.1.1-02", refused.Failure.Detail, StringComparison.Ordinal);
        Assert.Contains("approval-rules v1 (class section-chief)", refused.Failure.Detail, StringComparison.Ordinal);
        Assert.Null((await services.Db(db => db.WorkflowDefinitions.SingleAsync(d => d.Name == "progress-report" && d.Version == 1))).RetiredAt);

        // The report that runs on version 2 goes on to the end on it.
        var staff = await As("staff");
        var saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(running.Id, 1, new ReportContent(Progress.OnTrack, "実績", "次", []), staff, null, CancellationToken.None)).OkAsync();
        var submitted = await ActAsync(running.Id, "staff", ReportAction.Submit, saved.Version);
        Assert.Equal(("progress-report", 2), (submitted.Route, submitted.RouteVersion));

        // The next check-in starts every progress-report measure on version 1, whether the rules or the plan chose it.
        await OpenAsync(2026);
        var versions = await services.Db(db => db.ProgressReports.Where(r => r.FiscalYear == 2026 && r.RouteName == "progress-report").Select(r => r.RouteVersion).Distinct().ToListAsync());
        Assert.Equal([1], versions);
        var list = await services.In<RouteCatalog, IReadOnlyList<PublishedRoute>>(c => c.ListAsync(CancellationToken.None));
        Assert.True(list.Single(r => r.Name == "progress-report" && r.Version == 2).Retired);
        await AssertAuditVerifies();
    }

    [Fact]
    public async Task A_route_the_rules_alone_send_reports_to_is_not_left_without_an_active_version()
    {
        // A second version of the hq-head route, then the first retired: the rules' measure starts on the second.
        var v2 = ShippedRoute("progress-report-hq-head.v1.yaml").Replace("version: 1", "version: 2", StringComparison.Ordinal)
            .Replace("title: 進捗報告（本部長決裁）", "title: 進捗報告（本部長決裁・第2版）", StringComparison.Ordinal);
        await PublishRouteAsync(v2).OkAsync();
        await RetireRouteAsync("progress-report-hq-head", 1).OkAsync();

        var refused = await RetireRouteAsync("progress-report-hq-head", 2);
        Assert.Equal(OutcomeKind.Conflict, refused.Kind);
        Assert.Contains("approval rules send reports to it (approval-rules v1 (class hq-head))", refused.Failure!.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("measure(s)", refused.Failure.Detail, StringComparison.Ordinal);

        await OpenAsync(2025);
        Assert.Equal(("progress-report-hq-head", 2), await ReportAsync("2.2.2-02", 2025) is var r ? (r.RouteName, r.RouteVersion) : default);
        Assert.Equal(OutcomeKind.NotFound, (await RetireRouteAsync("no-such-route", 1)).Kind);
    }

    [Fact]
    public async Task A_route_file_is_previewed_then_published_as_the_next_version_and_journaled()
    {
        var v3 = ShippedRoute("progress-report.v2.yaml").Replace("version: 2", "version: 3", StringComparison.Ordinal)
            .Replace("dueBusinessDays: 10", "dueBusinessDays: 15", StringComparison.Ordinal);

        var preview = await PublishRouteAsync(v3, dryRun: true).OkAsync();
        Assert.True(preview.DryRun);
        Assert.Equal(("progress-report", 3, 15), (preview.Route.Name, preview.Route.Version, preview.Route.Steps[^1].DueDays));
        Assert.StartsWith("stateDiagram-v2", preview.Diagram, StringComparison.Ordinal);
        Assert.False(await services.Db(db => db.WorkflowDefinitions.AnyAsync(d => d.Name == "progress-report" && d.Version == 3)));
        Assert.Empty(await AuditAsync());

        var published = await PublishRouteAsync(v3).OkAsync();
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(v3)));
        Assert.Equal((false, sha), (published.DryRun, published.Sha256));
        var stored = await services.Db(db => db.WorkflowDefinitions.AsNoTracking().SingleAsync(d => d.Name == "progress-report" && d.Version == 3));
        Assert.Equal(("管理者 太郎", sha, "upload.yaml"), (stored.PublishedBy, stored.Sha256, stored.SourceFile));
        var audit = Assert.Single(await AuditAsync());
        Assert.Equal(("route.published", "admin-1", "管理者 太郎", "progress-report v3"), (audit.Kind, audit.ActorId, audit.Actor, audit.Subject));
        Assert.Equal(sha, JsonDocument.Parse(audit.Details).RootElement.GetProperty("sha256").GetString());

        // The same version twice: a conflict, whether the content is the same or not.
        var again = await PublishRouteAsync(v3);
        Assert.Equal(OutcomeKind.Conflict, again.Kind);
        Assert.Contains("published already, with the same content", again.Failure!.Detail, StringComparison.Ordinal);
        var changed = await PublishRouteAsync(v3.Replace("dueBusinessDays: 15", "dueBusinessDays: 20", StringComparison.Ordinal));
        Assert.Equal(OutcomeKind.Conflict, changed.Kind);
        Assert.Contains("publish the change as version 4", changed.Failure!.Detail, StringComparison.Ordinal);
        var skipped = await PublishRouteAsync(v3.Replace("version: 3", "version: 5", StringComparison.Ordinal));
        Assert.Equal(OutcomeKind.Conflict, skipped.Kind);
        Assert.Contains("The next version of progress-report is 4", skipped.Failure!.Detail, StringComparison.Ordinal);
        // A new route starts at version 1.
        Assert.Equal(OutcomeKind.Conflict, (await PublishRouteAsync(v3.Replace("name: progress-report", "name: brand-new-route", StringComparison.Ordinal))).Kind);
        await PublishRouteAsync(v3.Replace("name: progress-report", "name: brand-new-route", StringComparison.Ordinal).Replace("version: 3", "version: 1", StringComparison.Ordinal)).OkAsync();

        await OpenAsync(2025);
        Assert.Equal(("progress-report", 3), await ReportAsync("1.1.1-02", 2025) is var r ? (r.RouteName, r.RouteVersion) : default);
        Assert.Equal(["route.published", "route.published"], (await AuditAsync()).Select(e => e.Kind));
        await AssertAuditVerifies();
    }

    [Fact]
    public async Task A_bad_route_file_is_refused_by_line_and_nothing_is_stored()
    {
        var file = ShippedRoute("progress-report.v2.yaml").Replace("version: 2", "version: 3", StringComparison.Ordinal);
        var lines = file.Split('\n');
        var roleLine = Array.FindIndex(lines, l => l.Contains("role: SectionChief", StringComparison.Ordinal)) + 1;

        var refused = await PublishRouteAsync(file.Replace("role: SectionChief", "role: Governor", StringComparison.Ordinal));

        Assert.Equal(OutcomeKind.Invalid, refused.Kind);
        Assert.Equal([$"line {roleLine}"], refused.Failure!.Errors.Keys);
        Assert.Contains("unknown role 'Governor'", refused.Failure.Errors[$"line {roleLine}"][0], StringComparison.Ordinal);
        foreach (var (bad, key) in new[]
        {
            ("name: [not, a, name]\nversion: 1\n", "line 1"),
            ("a: &x 1\nb: *x\n", "line 1"),
            ("title: " + new string('[', 100) + new string(']', 100), "line 1"),
            (file.Replace("status: Submitted", "status: Draft", StringComparison.Ordinal), $"line {Array.FindIndex(lines, l => l.Contains("status: Submitted", StringComparison.Ordinal)) + 1}"),
            (file.Replace("kind: review", "kind: approve", StringComparison.Ordinal), $"line {Array.FindIndex(lines, l => l.StartsWith("steps:", StringComparison.Ordinal)) + 2}"),
            (string.Empty, "line 1"),
        })
        {
            var outcome = await PublishRouteAsync(bad);
            Assert.True(outcome.Kind == OutcomeKind.Invalid && outcome.Failure!.Errors.ContainsKey(key), $"{bad[..Math.Min(bad.Length, 30)]}: {outcome.Kind} {string.Join("; ", outcome.Failure?.Errors.Select(e => $"{e.Key}: {e.Value[0]}") ?? [])}");
        }

        Assert.Equal(OutcomeKind.Invalid, (await services.In<RoutePublishing, Outcome<RoutePublication>>(p => p.PublishAsync(new DefinitionFile([0xC3, 0x28, 0x0A], "x.yaml"), false, Admin, CancellationToken.None))).Kind);
        Assert.Equal(OutcomeKind.TooLarge, (await PublishRouteAsync(new string('#', (1 << 20) + 1))).Kind);
        Assert.False(await services.Db(db => db.WorkflowDefinitions.AnyAsync(d => d.Version == 3)));
        Assert.Empty(await AuditAsync());
    }

    [Fact]
    public async Task A_bad_rules_file_is_refused_naming_each_line_and_a_version_twice_is_a_conflict()
    {
        var bad = """
            name: approval-rules
            version: 2
            effectiveFrom: 2026-02-30
            rules:
              - class: section-chief
                route: progress-report
              - class: section-chief
                route: progress-report-with-head
              - class: department-head
                route: no-such-route
              - class: Not A Slug
                route: progress-report
              - class: hq-head
                route: progress-report
                minBudget: lots
                colour: red
            """;

        var refused = await PublishRulesAsync(bad);

        Assert.Equal(OutcomeKind.Invalid, refused.Kind);
        var errors = refused.Failure!.Errors;
        Assert.Equal(["line 3", "line 7", "line 10", "line 11", "line 15", "line 16"], errors.Keys);
        Assert.Contains("effectiveFrom '2026-02-30' is not a date", errors["line 3"][0], StringComparison.Ordinal);
        Assert.Contains("duplicate rule for class 'section-chief' (first on line 5)", errors["line 7"][0], StringComparison.Ordinal);
        Assert.Contains("unknown route 'no-such-route'", errors["line 10"][0], StringComparison.Ordinal);
        Assert.Contains("must be a lowercase slug", errors["line 11"][0], StringComparison.Ordinal);
        Assert.Contains("minBudget 'lots'", errors["line 15"][0], StringComparison.Ordinal);
        Assert.Contains("unknown key 'colour'", errors["line 16"][0], StringComparison.Ordinal);
        Assert.Equal(1, await services.Db(db => db.ApprovalRuleSets.CountAsync()));

        // The preview says what each rule would route in today's plan, and stores nothing.
        var preview = await PublishRulesAsync(Rules(2, "2026-04-01"), dryRun: true).OkAsync();
        Assert.True(preview.DryRun);
        Assert.Equal(94, preview.Effects.Single(e => e.Rule.Class == "section-chief").Measures);
        Assert.Equal(1, preview.Effects.Single(e => e.Rule.Class == "hq-head").Measures);
        Assert.Empty(preview.UnruledClasses);
        Assert.Equal(1, await services.Db(db => db.ApprovalRuleSets.CountAsync()));

        await PublishRulesAsync(Rules(2, "2026-04-01")).OkAsync();
        Assert.Equal(OutcomeKind.Conflict, (await PublishRulesAsync(Rules(2, "2026-04-01"))).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await PublishRulesAsync(Rules(2, "2026-05-01"))).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await PublishRulesAsync(Rules(4, "2026-05-01"))).Kind);
        var otherName = await PublishRulesAsync(Rules(1, "2026-05-01").Replace("name: approval-rules", "name: other-rules", StringComparison.Ordinal));
        Assert.Equal(OutcomeKind.Conflict, otherName.Kind);
        Assert.Contains("Name it approval-rules", otherName.Failure!.Detail, StringComparison.Ordinal);

        var retired = await services.In<RuleSetPublishing, Outcome<RuleSetView>>(r => r.RetireAsync("approval-rules", 2, Admin, CancellationToken.None)).OkAsync();
        Assert.True(retired.Published.Retired);
        Assert.Equal(["rules.published", "rules.retired"], (await AuditAsync()).Select(e => e.Kind));
        // A retired version is never in force: on its date, version 1 still applies.
        services.Time.SetUtcNow(new DateTimeOffset(2026, 4, 2, 0, 0, 0, TimeSpan.Zero));
        await OpenAsync(2026);
        Assert.Equal(("progress-report", "approval-rules v1: section-chief → progress-report"), await RouteOf("1.1.1-02", 2026));
        await AssertAuditVerifies();
    }

    [Fact]
    public async Task A_route_retired_after_newer_rules_stopped_naming_it_never_stops_the_shipped_rules_from_loading()
    {
        // Version 2 of the rules, in force today, sends hq-head measures to the standard route: the hq-head route may be retired.
        await PublishRulesAsync(Rules(2, "2025-04-01").Replace("route: progress-report-hq-head", "route: progress-report-with-head", StringComparison.Ordinal)).OkAsync();
        await RetireRouteAsync("progress-report-hq-head", 1).OkAsync();

        // The next start loads the shipped rules again: version 1 still names the retired route, and is stored unchanged.
        var published = await services.In<ReformDbContext, int>(db =>
            new ApprovalRulesLoader(services.Time, Microsoft.Extensions.Logging.Abstractions.NullLogger<ApprovalRulesLoader>.Instance).PublishShippedAsync(db, CancellationToken.None));
        Assert.Equal(0, published);
        await OpenAsync(2025);
        Assert.Equal("progress-report-with-head", (await ReportAsync("2.2.2-02", 2025)).RouteName);
    }
}

public sealed class RoutesAndRulesTests_Embedded() : RoutesAndRulesTests(Profile.Embedded);

public sealed class RoutesAndRulesTests_Production() : RoutesAndRulesTests(Profile.Production);
