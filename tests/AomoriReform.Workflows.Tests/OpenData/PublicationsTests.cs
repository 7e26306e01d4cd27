using System.Text;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.OpenData;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.OpenData;

/// <summary>
/// Publishing a year's accepted reports as open data: what the snapshot holds (and never holds:
/// names, e-mail addresses, internal comments), that it stays as published while the live data
/// changes, one current publication per year, withdrawal and publishing again, all audited.
/// </summary>
public abstract class PublicationsTests(Profile profile) : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";
    private const string InternalComment = "内部限り：効果額の根拠資料は非公開の内部検討資料による";
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,行政経営管理課長 三郎,gyosei-keiei,SectionChief\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n" +
            "user,admin@pref.example.jp,管理 二郎,,HqAdmin\r\n" +
            "user,committee@pref.example.jp,委員 一子,,Committee\r\n");
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private Task<List<(Guid Id, string MeasureCode)>> StandardReports() =>
        services.Db(async db => (await db.ProgressReports.Where(r => r.SectionCode == Section && r.RouteName == "progress-report" && r.FiscalYear == 2025)
            .OrderBy(r => r.MeasureCode).Select(r => new { r.Id, r.MeasureCode }).ToListAsync()).Select(r => (r.Id, r.MeasureCode)).ToList());

    /// <summary>Drafted, submitted, approved by the chief with an internal comment, accepted by HQ.</summary>
    private async Task Accept(Guid id, ReportContent content)
    {
        var staff = await As("staff");
        var chief = await As("chief");
        var hq = await As("hq");
        var saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, 1, content, staff, null, CancellationToken.None)).OkAsync();
        var submitted = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, new ReportActionRequest(ReportAction.Submit, saved.Version, null, null), staff, null, CancellationToken.None)).OkAsync();
        var approved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, new ReportActionRequest(ReportAction.Approve, submitted.Version, InternalComment, null), chief, null, CancellationToken.None)).OkAsync();
        await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, new ReportActionRequest(ReportAction.Accept, approved.Version, "受理（内部メモ）", null), hq, null, CancellationToken.None)).OkAsync();
    }

    private async Task<Outcome<PublicationView>> Publish(string who, int? year)
    {
        var caller = await As(who);
        return await services.In<Publications, Outcome<PublicationView>>(p => p.PublishAsync(caller, year, CancellationToken.None));
    }

    private async Task<Outcome<Done>> Withdraw(string who, int year)
    {
        var caller = await As(who);
        return await services.In<Publications, Outcome<Done>>(p => p.WithdrawAsync(caller, year, CancellationToken.None));
    }

    private Task<OpenDataFiles?> Files(int year) => services.In<Publications, OpenDataFiles?>(p => p.FilesAsync(year, CancellationToken.None));

    private static ReportContent Content(string achievements, Progress progress = Progress.OnTrack, decimal? actual = 3) =>
        new(progress, achievements, "次年度も継続する", actual is { } a ? [new IndicatorActual("1", a)] : []);

    [Fact]
    public async Task The_snapshot_holds_the_accepted_reports_and_no_name_email_address_or_internal_comment()
    {
        var reports = await StandardReports();
        await Accept(reports[0].Id, Content("担当 一郎が各課と調整し、担当一郎（staff@pref.example.jp）から照会した。出先機関4機関を見直した。", Progress.MostlyOnTrack, 4));
        await Accept(reports[1].Id, Content("計画どおり実施した。問合せは hq@pref.example.jp へ。", Progress.Delayed, null));

        var publication = await Publish("admin", 2025).OkAsync();
        var files = await Files(2025);

        Assert.NotNull(files);
        Assert.Equal((2025, 2, "管理 二郎", true), (publication.FiscalYear, publication.Measures, publication.PublishedBy, publication.Current));
        Assert.Equal(4, publication.Redactions);
        var set = files.Set;
        Assert.Equal((2025, "青森県", "020001"), (set.FiscalYear, set.Publisher, set.LocalGovernmentCode));
        Assert.Equal([reports[0].MeasureCode, reports[1].MeasureCode], set.Measures.Select(m => m.MeasureCode));
        var first = set.Measures[0];
        Assert.Equal(("1", "1.1", "1.1.1"), (first.ViewpointCode, first.AreaCode, first.ItemCode));
        Assert.Equal(("somu", "総務部", Section, "行政経営管理課"), (first.DepartmentCode, first.DepartmentName, first.SectionCode, first.SectionName));
        Assert.Equal(("MostlyOnTrack", "おおむね順調", new DateOnly(2026, 4, 1)), (first.Progress, first.ProgressLabel, first.AcceptedOn));
        Assert.Equal($"{Publications.Redacted}が各課と調整し、{Publications.Redacted}（{Publications.Redacted}）から照会した。出先機関4機関を見直した。", first.Achievements);
        var indicator = Assert.Single(first.Indicators);
        Assert.Equal((4m, 4m), (indicator.Target, indicator.Actual));
        Assert.Null(Assert.Single(set.Measures[1].Indicators).Actual);

        // Every byte served, searched for every account's name and address and for the comments of the history.
        var served = Encoding.UTF8.GetString(files.Json) + Encoding.UTF8.GetString(files.Csv) + Encoding.UTF8.GetString(files.Fields);
        var people = await services.Db(db => db.Users.Select(u => new { u.DisplayName, u.Email }).ToListAsync());
        Assert.True(people.Count >= 5);
        foreach (var person in people)
        {
            Assert.DoesNotContain(person.DisplayName, served, StringComparison.Ordinal);
            Assert.DoesNotContain(person.DisplayName.Replace(" ", "", StringComparison.Ordinal), served, StringComparison.Ordinal);
            Assert.DoesNotContain(person.Email!, served, StringComparison.OrdinalIgnoreCase);
        }

        var comments = await services.Db(db => db.JournalEntries.Where(e => e.Comment != null).Select(e => e.Comment!).ToListAsync());
        Assert.Contains(InternalComment, comments);
        Assert.All(comments, comment => Assert.DoesNotContain(comment, served, StringComparison.Ordinal));
        Assert.DoesNotMatch(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", served);
    }

    [Fact]
    public async Task Publishing_is_a_deliberate_snapshot_once_per_year_until_withdrawn_and_published_again()
    {
        var reports = await StandardReports();
        await Accept(reports[0].Id, Content("一件目"));
        var first = await Publish("admin", 2025).OkAsync();
        services.Time.Advance(TimeSpan.FromMinutes(5));

        // Accepted after publishing, and a section renamed: the published files do not change.
        await Accept(reports[1].Id, Content("二件目"));
        await services.Db(db => db.Sections.Where(s => s.Code == Section).ExecuteUpdateAsync(s => s.SetProperty(x => x.Name, "行政経営改革課")));
        var unchanged = await Files(2025);
        Assert.Equal([reports[0].MeasureCode], unchanged!.Set.Measures.Select(m => m.MeasureCode));
        Assert.Equal("行政経営管理課", unchanged.Set.Measures[0].SectionName);

        Assert.Equal(OutcomeKind.Conflict, (await Publish("admin", 2025)).Kind);
        Assert.True((await Withdraw("admin", 2025)).IsOk);
        Assert.Null(await Files(2025));
        Assert.Equal(OutcomeKind.NotFound, (await Withdraw("admin", 2025)).Kind);

        var second = await Publish("admin", 2025).OkAsync();
        var republished = await Files(2025);
        Assert.Equal([reports[0].MeasureCode, reports[1].MeasureCode], republished!.Set.Measures.Select(m => m.MeasureCode));
        Assert.Equal("行政経営改革課", republished.Set.Measures[0].SectionName);
        Assert.NotEqual(first.Sha256, second.Sha256);
        Assert.NotEqual(unchanged.CsvTag, republished.CsvTag);

        var history = await services.In<Publications, IReadOnlyList<PublicationView>>(p => p.HistoryAsync(CancellationToken.None));
        Assert.Equal([(second.Id, true), (first.Id, false)], history.Select(p => (p.Id, p.Current)));
        Assert.Equal("管理 二郎", history[1].WithdrawnBy);
        var published = await services.In<Publications, IReadOnlyList<PublishedYear>>(p => p.PublishedAsync(CancellationToken.None));
        Assert.Equal(("/open-data/2025/progress.csv", 2), (Assert.Single(published).Csv, published[0].Measures));
        var events = await services.Db(db => db.AuditEvents.AsNoTracking().Where(e => e.Kind.StartsWith("publication.")).OrderBy(e => e.Seq).ToListAsync());
        Assert.Equal([Publications.PublishedKind, Publications.WithdrawnKind, Publications.PublishedKind], events.Select(e => e.Kind));
        Assert.Contains(second.Sha256, events[2].Details, StringComparison.Ordinal);
        var verification = await services.In<JournalKeys, JournalVerification>(keys => services.Db(db => Journal.VerifyAsync(db, keys, CancellationToken.None)));
        Assert.True(verification.Valid, verification.Problem);
    }

    [Fact]
    public async Task Only_an_HQ_administrator_publishes_a_year_of_the_plan_that_has_accepted_reports()
    {
        Assert.Equal(OutcomeKind.Conflict, (await Publish("admin", 2025)).Kind);
        var reports = await StandardReports();
        await Accept(reports[0].Id, Content("実績"));

        foreach (var who in new[] { "hq", "staff", "committee" })
        {
            Assert.Equal(OutcomeKind.Forbidden, (await Publish(who, 2025)).Kind);
        }

        Assert.True((await Publish("admin", null)).Failure?.Names("fiscalYear"));
        Assert.True((await Publish("admin", 2099)).Failure?.Names("fiscalYear"));
        Assert.Equal(OutcomeKind.Conflict, (await Publish("admin", 2026)).Kind);
        Assert.Equal(0, await services.Db(db => db.Publications.CountAsync()));
        Assert.True((await Publish("admin", 2025)).IsOk);
        Assert.Equal(OutcomeKind.Forbidden, (await Withdraw("hq", 2025)).Kind);
    }

    [Fact]
    public async Task The_files_count_progress_by_viewpoint_and_area_and_describe_every_csv_column()
    {
        var reports = await StandardReports();
        await Accept(reports[0].Id, Content("順調", Progress.OnTrack));
        await Accept(reports[1].Id, Content("遅れ", Progress.Delayed));
        await Publish("admin", 2025).OkAsync();

        var files = (await Files(2025))!;
        var csv = Encoding.UTF8.GetString(files.Csv);
        var guide = System.Text.Json.JsonSerializer.Deserialize<FieldGuide>(files.Fields, OpenDataSet.Json)!;

        Assert.Equal((1, 0, 1, 0, 2), (files.Summary.Total.OnTrack, files.Summary.Total.MostlyOnTrack, files.Summary.Total.Delayed, files.Summary.Total.NotStarted, files.Summary.Total.Total));
        var viewpoint = Assert.Single(files.Summary.Viewpoints);
        Assert.Equal(("1", "県庁機能の抜本的な強化と人材の活躍", 2), (viewpoint.Counts.Code, viewpoint.Counts.Title, viewpoint.Counts.Total));
        Assert.Equal(viewpoint.Areas.Sum(a => a.Total), viewpoint.Counts.Total);
        Assert.StartsWith("\uFEFF全国地方公共団体コード,地方公共団体名,年度,", csv, StringComparison.Ordinal);
        var header = csv.TrimStart('\uFEFF').Split("\r\n")[0].Split(',');
        Assert.Equal(header, guide.Fields.Select(f => f.Label));
        Assert.Equal(3, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.True(guide.Csv.ByteOrderMark);
        Assert.All(guide.Fields, f => Assert.False(string.IsNullOrWhiteSpace(f.Description)));
    }
}

public sealed class PublicationsTests_Embedded() : PublicationsTests(Profile.Embedded);

public sealed class PublicationsTests_Production() : PublicationsTests(Profile.Production);
