using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Committee;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Committee;

/// <summary>
/// The committee's opinions (意見) and HQ's responses (対応方針) as the service answers them: who may
/// write and answer, what is refused by field, revisions kept, the unanswered list, the signed audit
/// trail, and the next year's report finding the previous year's opinions on its measure and item.
/// </summary>
public abstract class CommitteeOpinionsTests(Profile profile) : IAsyncLifetime
{
    private const string Measure = "1.1.1-03";
    private const string Item = "1.1.1";
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync(
            "user,committee@pref.example.jp,委員 一子,,Committee\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n" +
            "user,admin@pref.example.jp,管理 二郎,,HqAdmin\r\n" +
            "user,auditor@pref.example.jp,監査 三子,,Auditor\r\n" +
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,jinji.staff@pref.example.jp,人事担当 四郎,jinji,Staff\r\n");
        foreach (var year in new[] { 2025, 2026 })
        {
            await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
                opener.OpenAsync(new CheckInRequest(year, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
        }
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private async Task<Outcome<OpinionView>> Write(string who, int? year, string? measure, string? item, string? text)
    {
        // One second apart, so that the order written is the order listed.
        services.Time.Advance(TimeSpan.FromSeconds(1));
        var caller = await As(who);
        return await services.In<CommitteeOpinions, Outcome<OpinionView>>(o => o.WriteAsync(caller, new OpinionRequest(year, measure, item, text), CancellationToken.None));
    }

    private async Task<Outcome<OpinionView>> Respond(string who, Guid id, string? text)
    {
        var caller = await As(who);
        return await services.In<CommitteeOpinions, Outcome<OpinionView>>(o => o.RespondAsync(caller, id, text, CancellationToken.None));
    }

    private async Task<Outcome<IReadOnlyList<OpinionView>>> List(string who, OpinionFilter filter)
    {
        var caller = await As(who);
        return await services.In<CommitteeOpinions, Outcome<IReadOnlyList<OpinionView>>>(o => o.ListAsync(caller, filter, CancellationToken.None));
    }

    private async Task AssertAuditVerifies()
    {
        var verification = await services.In<JournalKeys, JournalVerification>(keys => services.Db(db => Journal.VerifyAsync(db, keys, CancellationToken.None)));
        Assert.True(verification.Valid, verification.Problem);
    }

    [Fact]
    public async Task A_committee_member_writes_on_a_measure_an_item_and_the_whole_year_and_each_is_a_signed_audit_event()
    {
        var onMeasure = await Write("committee", 2025, Measure, null, "  組織見直しの効果を数値で示してほしい。\n次年度は外部評価も。  ").OkAsync();
        var onItem = await Write("committee", 2025, null, Item, "項目全体として、部局横断の連携が見えにくい。").OkAsync();
        var onYear = await Write("committee", 2025, "", null, "全体として着実に進んでいる。").OkAsync();

        Assert.Equal(("組織見直しの効果を数値で示してほしい。\n次年度は外部評価も。", "委員 一子", (string?)Measure, (string?)null), (onMeasure.Text, onMeasure.Author, onMeasure.MeasureCode, onMeasure.ItemCode));
        Assert.Equal("出先機関の配置及び所掌業務のあり方の見直し", onMeasure.SubjectTitle);
        Assert.Equal((null, (string?)Item, "時代に即した組織体制の構築"), (onItem.MeasureCode, onItem.ItemCode, onItem.SubjectTitle));
        Assert.Equal(((string?)null, (string?)null, (string?)null), (onYear.MeasureCode, onYear.ItemCode, onYear.SubjectTitle));
        Assert.All([onMeasure, onItem, onYear], o => Assert.Null(o.Response));
        var listed = await List("hq", new OpinionFilter(2025)).OkAsync();
        Assert.Equal([onMeasure.Id, onItem.Id, onYear.Id], listed.Select(o => o.Id));
        Assert.Empty(await List("hq", new OpinionFilter(2026)).OkAsync());

        var events = await services.Db(db => db.AuditEvents.AsNoTracking().Where(e => e.Kind == CommitteeOpinions.WrittenKind).OrderBy(e => e.Seq).ToListAsync());
        Assert.Equal([onMeasure.Id.ToString(), onItem.Id.ToString(), onYear.Id.ToString()], events.Select(e => e.Subject));
        Assert.Equal("委員 一子", events[0].Actor);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(onMeasure.Text))), events[0].Details, StringComparison.Ordinal);
        await AssertAuditVerifies();
    }

    [Theory]
    [InlineData(null, Measure, null, "意見", "fiscalYear")]
    [InlineData(2099, Measure, null, "意見", "fiscalYear")]
    [InlineData(2025, Measure, Item, "意見", "itemCode")]
    [InlineData(2025, "9.9.9-99", null, "意見", "measureCode")]
    [InlineData(2025, "'; DROP TABLE measures; --", null, "意見", "measureCode")]
    [InlineData(2025, null, "9.9.9", "意見", "itemCode")]
    [InlineData(2025, Measure, null, null, "text")]
    [InlineData(2025, Measure, null, "   \n ", "text")]
    [InlineData(2025, Measure, null, "bell\u0007", "text")]
    public async Task An_invalid_opinion_is_refused_naming_its_field_and_nothing_is_stored(int? year, string? measure, string? item, string? text, string field)
    {
        var outcome = await Write("committee", year, measure, item, text);

        Assert.Equal(OutcomeKind.Invalid, outcome.Kind);
        Assert.True(outcome.Failure!.Names(field), outcome.Failure.Detail);
        Assert.Equal(0, await services.Db(db => db.CommitteeOpinions.CountAsync()));
        Assert.Equal(0, await services.Db(db => db.AuditEvents.CountAsync()));
    }

    [Fact]
    public async Task An_opinion_longer_than_the_limit_is_refused()
    {
        var outcome = await Write("committee", 2025, null, null, new string('長', CommitteeOpinions.MaxTextLength + 1));

        Assert.True(outcome.Failure?.Names("text"));
        Assert.True((await Write("committee", 2025, null, null, new string('長', CommitteeOpinions.MaxTextLength))).IsOk);
    }

    [Fact]
    public async Task Only_the_committee_writes_only_HQ_answers_and_sections_do_not_list()
    {
        foreach (var who in new[] { "staff", "hq", "admin", "auditor" })
        {
            Assert.Equal(OutcomeKind.Forbidden, (await Write(who, 2025, Measure, null, "意見")).Kind);
        }

        var opinion = await Write("committee", 2025, Measure, null, "意見").OkAsync();
        foreach (var who in new[] { "committee", "staff", "auditor" })
        {
            Assert.Equal(OutcomeKind.Forbidden, (await Respond(who, opinion.Id, "対応")).Kind);
        }

        Assert.Equal(OutcomeKind.Forbidden, (await List("staff", new OpinionFilter(2025))).Kind);
        Assert.Single(await List("auditor", new OpinionFilter(2025)).OkAsync());
        Assert.Single(await List("committee", new OpinionFilter(2025)).OkAsync());
        Assert.Equal(0, await services.Db(db => db.OpinionResponses.CountAsync()));
    }

    [Fact]
    public async Task HQ_answers_and_revises_keeping_every_revision_and_the_unanswered_list_shrinks()
    {
        var first = await Write("committee", 2025, Measure, null, "効果を数値で").OkAsync();
        var second = await Write("committee", 2025, null, Item, "連携が見えにくい").OkAsync();
        Assert.Equal([first.Id, second.Id], (await List("hq", new OpinionFilter(2025, Unanswered: true)).OkAsync()).Select(o => o.Id));

        var answered = await Respond("hq", first.Id, "次年度の報告で見直し件数と効果額を示します。").OkAsync();
        var revised = await Respond("admin", first.Id, "次年度の報告で見直し件数と効果額を示し、外部評価を試行します。").OkAsync();

        Assert.Equal(("次年度の報告で見直し件数と効果額を示します。", "本部 十郎", 1), (answered.Response!.Text, answered.Response.Author, answered.Response.Revision));
        Assert.Equal(("管理 二郎", 2), (revised.Response!.Author, revised.Response.Revision));
        Assert.Equal([second.Id], (await List("hq", new OpinionFilter(2025, Unanswered: true)).OkAsync()).Select(o => o.Id));
        var listed = await List("committee", new OpinionFilter(2025)).OkAsync();
        Assert.Equal(revised.Response.Text, listed.Single(o => o.Id == first.Id).Response!.Text);
        Assert.Equal(2, await services.Db(db => db.OpinionResponses.CountAsync(r => r.OpinionId == first.Id)));
        Assert.Equal(2, await services.Db(db => db.AuditEvents.CountAsync(e => e.Kind == CommitteeOpinions.AnsweredKind && e.Subject == first.Id.ToString())));

        Assert.Equal(OutcomeKind.NotFound, (await Respond("hq", Guid.NewGuid(), "対応")).Kind);
        Assert.True((await Respond("hq", first.Id, "")).Failure?.Names("text"));
        Assert.True((await Respond("hq", first.Id, new string('x', CommitteeOpinions.MaxTextLength + 1))).Failure?.Names("text"));
        Assert.Equal(2, await services.Db(db => db.OpinionResponses.CountAsync()));
        await AssertAuditVerifies();
    }

    [Fact]
    public async Task The_next_years_report_finds_the_previous_years_opinions_on_its_measure_and_item_with_the_responses()
    {
        var onMeasure = await Write("committee", 2025, Measure, null, "効果を数値で").OkAsync();
        var onItem = await Write("committee", 2025, null, Item, "連携が見えにくい").OkAsync();
        await Write("committee", 2025, "1.1.2-01", null, "ほかの取組への意見").OkAsync();
        await Write("committee", 2025, null, "1.2.1", "ほかの項目への意見").OkAsync();
        await Write("committee", 2025, null, null, "年度全体への意見").OkAsync();
        await Write("committee", 2026, Measure, null, "同じ年度の意見（前年度ではない）").OkAsync();
        await Respond("hq", onMeasure.Id, "次年度の報告で効果額を示します。").OkAsync();
        var report2026 = await services.Db(db => db.ProgressReports.Where(r => r.MeasureCode == Measure && r.FiscalYear == 2026).Select(r => r.Id).SingleAsync());
        var report2025 = await services.Db(db => db.ProgressReports.Where(r => r.MeasureCode == Measure && r.FiscalYear == 2025).Select(r => r.Id).SingleAsync());

        var staff = await As("staff");
        var previous = await services.In<CommitteeOpinions, Outcome<PreviousYearOpinions>>(o => o.PreviousForReportAsync(report2026, staff, CancellationToken.None)).OkAsync();
        var none = await services.In<CommitteeOpinions, Outcome<PreviousYearOpinions>>(o => o.PreviousForReportAsync(report2025, staff, CancellationToken.None)).OkAsync();
        var otherSection = await As("jinji.staff");
        var hidden = await services.In<CommitteeOpinions, Outcome<PreviousYearOpinions>>(o => o.PreviousForReportAsync(report2026, otherSection, CancellationToken.None));

        Assert.Equal(2025, previous.FiscalYear);
        Assert.Equal([onMeasure.Id, onItem.Id], previous.Opinions.Select(o => o.Id));
        Assert.Equal("次年度の報告で効果額を示します。", previous.Opinions[0].Response?.Text);
        Assert.Null(previous.Opinions[1].Response);
        Assert.Empty(none.Opinions);
        Assert.Equal(OutcomeKind.NotFound, hidden.Kind);
    }
}

public sealed class CommitteeOpinionsTests_Embedded() : CommitteeOpinionsTests(Profile.Embedded);

public sealed class CommitteeOpinionsTests_Production() : CommitteeOpinionsTests(Profile.Production);
