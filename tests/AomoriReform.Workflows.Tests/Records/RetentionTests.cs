using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Records;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Records;

/// <summary>
/// 保存期間の管理 below HTTP, on both profiles: the end of period set at acceptance, the monthly
/// review listing what is due (and filling what older reports lack), HqAdmin's decisions (legal
/// hold, extension, disposal, transfer after its package), the tombstone a disposal leaves, and the
/// journal's verification still holding, files re-hashed, after the content and bytes are gone.
/// </summary>
public abstract class RetentionTests(Profile profile) : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";

    /// <summary>Accepted on 1 April 2026 (FY2026): a 1-year class keeps the record until 31 March 2028.</summary>
    private static readonly DateOnly OneYearEnd = new(2028, 3, 31);

    /// <summary>1 April 2028 in Japan: the day after the 1-year period.</summary>
    private static readonly DateTimeOffset AfterPeriod = new(2028, 4, 1, 0, 30, 0, TimeSpan.FromHours(9));

    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,行政経営管理課長 三郎,gyosei-keiei,SectionChief\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n" +
            "user,admin@pref.example.jp,管理 花子,,HqAdmin\r\n" +
            "user,auditor@pref.example.jp,監査 五郎,,Auditor\r\n");
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    /// <summary>A report of the section on the standard route, given a retention class, with a file, accepted.</summary>
    private async Task<Guid> AcceptedRecord(int index, string retentionClass = "1", bool withFile = true)
    {
        var id = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == Section && r.RouteName == "progress-report" && r.FiscalYear == 2025)
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).Skip(index).FirstAsync());
        await services.Db(db => db.ProgressReports.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.RetentionClass, retentionClass)));
        var staff = await As("staff");
        var version = await Version(id);
        await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, version, new ReportContent(Progress.OnTrack, "実績の記述", "次の取組", []), staff, null, CancellationToken.None)).OkAsync();
        if (withFile)
        {
            await services.In<Attachments, Outcome<AttachmentView>>(a => a.UploadAsync(id, "根拠資料.pdf", new MemoryStream(TestFiles.Pdf()), staff, CancellationToken.None)).OkAsync();
        }

        await Act(id, "staff", ReportAction.Submit).OkAsync();
        await Act(id, "chief", ReportAction.Approve).OkAsync();
        var hq = await As("hq");
        var accepting = await Version(id);
        await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, ReportAction.Accept, accepting, null, hq, $"accept-{id:N}", CancellationToken.None)).OkAsync();
        return id;
    }

    private Task<int> Version(Guid id) => services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());

    private async Task<Outcome<ReportView>> Act(Guid id, string who, ReportAction action)
    {
        var caller = await As(who);
        var version = await Version(id);
        return await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, action, version, null, caller, null, CancellationToken.None));
    }

    private async Task<Outcome<RetentionItem>> Decide(Guid id, string decision, string? reason = null, int? years = null, string who = "admin")
    {
        var caller = await As(who);
        return await services.In<RetentionDecisions, Outcome<RetentionItem>>(r => r.DecideAsync(id, decision, new RetentionDecision(reason, years), caller, CancellationToken.None));
    }

    private async Task<Outcome<Page<RetentionItem>>> List(string? state, string who = "admin")
    {
        var caller = await As(who);
        return await services.In<RetentionDecisions, Outcome<Page<RetentionItem>>>(r => r.ListAsync(state, null, new Paging(1, 100), caller, CancellationToken.None));
    }

    private Task<RetentionReview> Review() => services.In<RetentionReviewJob, RetentionReview>(job => job.RunAsync(CancellationToken.None));

    private Task<JournalVerification> Verify() =>
        services.In<JournalKeys, JournalVerification>(keys => services.In<IReportAttachments, JournalVerification>(attachments =>
            services.Db(db => Journal.VerifyAsync(db, keys, attachments, rehashFiles: true, CancellationToken.None))));

    private Task<List<JournalEntry>> Entries(Guid id) =>
        services.Db(db => db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync());

    private async Task<(string Sha256, byte[] Zip)> Package(Guid id)
    {
        var caller = await As("admin");
        using var output = new MemoryStream();
        var sha = await services.In<TransferPackages, string>(async packages =>
        {
            var plan = await packages.PlanAsync(id, caller, CancellationToken.None).OkAsync();
            return await packages.WriteAsync(plan, caller, output, CancellationToken.None);
        });
        return (sha, output.ToArray());
    }

    [Fact]
    public async Task The_end_of_period_is_set_at_acceptance_and_the_monthly_review_lists_the_record_once_it_has_passed()
    {
        var id = await AcceptedRecord(0);
        var report = await services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id));
        Assert.Equal(OneYearEnd, report.RetentionUntil);
        Assert.Empty((await List("due").OkAsync()).Items);
        Assert.Equal(RetentionStates.Kept, (await List("kept").OkAsync()).Items.Single(i => i.ReportId == id).State);
        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "dispose")).Kind);

        services.Time.SetUtcNow(new DateTimeOffset(2028, 3, 31, 14, 0, 0, TimeSpan.Zero)); // 23:00 on 31 March in Japan: still kept
        Assert.Equal(0, (await Review()).NewlyDue);
        services.Time.SetUtcNow(AfterPeriod);
        var review = await Review();
        Assert.Equal((1, 1), (review.NewlyDue, review.Due));
        var due = (await List("due").OkAsync()).Items.Single();
        Assert.Equal((id, RetentionStates.Due, OneYearEnd), (due.ReportId, due.State, due.RetentionUntil));
        Assert.Equal(AfterPeriod.UtcDateTime, due.ListedAt);
        Assert.Equal((0, 1), ((await Review()).NewlyDue, (await Review()).Due));
    }

    [Fact]
    public async Task Disposal_removes_the_content_and_the_files_bytes_and_keeps_a_tombstone_the_journal_still_verifies()
    {
        var id = await AcceptedRecord(0);
        var other = await AcceptedRecord(1, withFile: false);
        Assert.Equal(1, await services.Db(db => db.IdempotencyRecords.CountAsync(r => r.Response.Contains(id.ToString("D")))));
        var keys = await services.Db(db => db.AttachmentVersions.Where(v => v.ReportId == id).Select(v => v.StorageKey).ToListAsync());
        var attachmentId = await services.Db(db => db.Attachments.Where(a => a.ReportId == id).Select(a => a.Id).SingleAsync());
        Assert.Single(keys);
        Assert.True((await Verify()).Valid);
        var before = await Entries(id);
        services.Time.SetUtcNow(AfterPeriod);

        Assert.Equal(OutcomeKind.Forbidden, (await Decide(id, "dispose", who: "hq")).Kind);
        var disposed = await Decide(id, "dispose").OkAsync();
        Assert.Equal(RetentionStates.Disposed, disposed.State);
        Assert.Equal(AfterPeriod.UtcDateTime, disposed.DisposedAt);

        var report = await services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id));
        Assert.Equal((ReportContent.Empty.Achievements, 0, "disposed"), (report.Content.Achievements, report.Content.Indicators.Count, report.Disposition));
        Assert.Null(report.Content.Progress);
        Assert.Equal(0, await services.Db(db => db.ReportSubmissions.CountAsync(s => s.ReportId == id)));
        Assert.Equal(0, await services.Db(db => db.IdempotencyRecords.CountAsync(r => r.Response.Contains(id.ToString("D")))));
        Assert.Equal(0, await services.Db(db => db.StoredObjects.CountAsync(o => keys.Contains(o.Key))));
        Assert.Equal(1, await services.Db(db => db.IdempotencyRecords.CountAsync(r => r.Key == $"accept-{other:N}")));
        Assert.Equal(0, await services.Db(db => db.StoredChunks.CountAsync(c => keys.Contains(c.ObjectKey))));
        // The tombstone: the row, the file's name and SHA-256, and the whole journal plus the disposal.
        Assert.Equal("根拠資料.pdf", await services.Db(db => db.AttachmentVersions.Where(v => v.ReportId == id).Select(v => v.FileName).SingleAsync()));
        var after = await Entries(id);
        Assert.Equal(before.Select(e => e.Hash), after.Take(before.Count).Select(e => e.Hash));
        var entry = after.Last();
        Assert.Equal((RetentionDecisions.DisposeAction, "管理 花子", "保存期間満了により廃棄", string.Empty), (entry.Action, entry.Actor, entry.Comment, entry.Attachments));

        var verification = await Verify();
        Assert.True(verification.Valid, verification.Problem);
        Assert.True(verification.FilesRehashed);

        var staff = await As("staff");
        var admin = await As("admin");
        Assert.Empty(await services.In<Attachments, Outcome<IReadOnlyList<AttachmentView>>>(a => a.ListAsync(id, staff, CancellationToken.None)).OkAsync());
        Assert.Equal(OutcomeKind.Gone, (await services.In<Attachments, Outcome<AttachmentFile>>(a => a.OpenAsync(id, attachmentId, 1, staff, CancellationToken.None))).Kind);
        Assert.Equal(OutcomeKind.Gone, (await services.In<DecisionRecords, Outcome<DecisionRecord>>(r => r.BuildAsync(id, admin, CancellationToken.None))).Kind);
        Assert.Equal(OutcomeKind.Gone, (await services.In<TransferPackages, Outcome<TransferPackagePlan>>(p => p.PlanAsync(id, admin, CancellationToken.None))).Kind);
        var view = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.GetAsync(id, staff, CancellationToken.None)).OkAsync();
        Assert.Equal(("disposed", AfterPeriod.UtcDateTime), (view.Disposition, view.DisposedAt));

        // Once gone, nothing more is decided.
        foreach (var decision in new[] { "dispose", "transfer", "release" })
        {
            Assert.Equal(OutcomeKind.Conflict, (await Decide(id, decision)).Kind);
        }

        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "extend", "延長理由", 1)).Kind);
        Assert.Equal(after.Count, (await Entries(id)).Count);
        Assert.Equal(id, (await List("disposed").OkAsync()).Items.Single().ReportId);
        Assert.Equal(other, (await List("due").OkAsync()).Items.Single().ReportId);
    }

    [Fact]
    public async Task A_legal_hold_stops_disposal_and_transfer_until_it_is_released()
    {
        var id = await AcceptedRecord(0, withFile: false);
        services.Time.SetUtcNow(AfterPeriod);

        var invalid = (await Decide(id, "hold", "  ")).Failure!;
        Assert.True(invalid.Kind == OutcomeKind.Invalid && invalid.Names("reason"), invalid.Detail);
        var held = await Decide(id, "hold", "住民訴訟（令和9年（行ウ）第3号）の証拠として保存").OkAsync();
        Assert.Equal((RetentionStates.Held, "管理 花子"), (held.State, held.HeldBy));
        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "hold", "二重")).Kind);
        Assert.Empty((await List("due").OkAsync()).Items);
        Assert.Equal(id, (await List("held").OkAsync()).Items.Single().ReportId);

        var refused = (await Decide(id, "dispose")).Failure!;
        Assert.True(refused.Kind == OutcomeKind.Conflict && refused.Detail.Contains("住民訴訟", StringComparison.Ordinal), refused.Detail);
        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "transfer")).Kind);
        Assert.Equal(0, (await Review()).Due);
        Assert.NotNull(await services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Content.Achievements).SingleAsync()));

        Assert.Equal(RetentionStates.Due, (await Decide(id, "release", "判決確定").OkAsync()).State);
        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "release")).Kind);
        Assert.Equal(RetentionStates.Disposed, (await Decide(id, "dispose", "保存期間満了").OkAsync()).State);
        var actions = (await Entries(id)).Select(e => e.Action).TakeLast(3).ToList();
        Assert.Equal([RetentionDecisions.HoldAction, RetentionDecisions.ReleaseAction, RetentionDecisions.DisposeAction], actions);
        Assert.True((await Verify()).Valid);
    }

    [Fact]
    public async Task An_extension_moves_the_end_by_whole_years_with_a_reason()
    {
        var id = await AcceptedRecord(0, withFile: false);
        var permanent = await AcceptedRecord(1, "常用", withFile: false);
        services.Time.SetUtcNow(AfterPeriod);
        await Review();

        Assert.True((await Decide(id, "extend", "監査対応", 0)).Failure!.Names("years"));
        Assert.True((await Decide(id, "extend", "監査対応", 31)).Failure!.Names("years"));
        Assert.True((await Decide(id, "extend", null, 3)).Failure!.Names("reason"));
        Assert.True((await Decide(id, "extend", new string('長', RetentionDecisions.MaxReasonLength + 1), 3)).Failure!.Names("reason"));
        Assert.True((await Decide(id, "extend", "理由\u0007", 3)).Failure!.Names("reason"));
        Assert.Equal(OutcomeKind.NotFound, (await Decide(id, "shred")).Kind);

        var extended = await Decide(id, "extend", "監査委員の指摘に対応中のため", 3).OkAsync();
        Assert.Equal((RetentionStates.Kept, new DateOnly(2031, 3, 31), (DateTime?)null), (extended.State, extended.RetentionUntil, extended.ListedAt));
        var entry = (await Entries(id)).Last();
        Assert.Equal((RetentionDecisions.ExtendAction, "令和13年3月31日まで3年延長。理由：監査委員の指摘に対応中のため"), (entry.Action, entry.Comment));
        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "dispose")).Kind);

        // 常用 has no end to extend and is never disposed of.
        Assert.Null(await services.Db(db => db.ProgressReports.Where(r => r.Id == permanent).Select(r => r.RetentionUntil).SingleAsync()));
        Assert.Equal(OutcomeKind.Conflict, (await Decide(permanent, "extend", "理由", 1)).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await Decide(permanent, "dispose")).Kind);
        Assert.Equal(RetentionStates.Kept, (await List("kept").OkAsync()).Items.Single(i => i.ReportId == permanent).State);
        Assert.True((await Verify()).Valid);
    }

    [Fact]
    public async Task A_transfer_needs_the_package_made_at_the_last_entry_and_the_journal_names_its_hash()
    {
        var id = await AcceptedRecord(0);
        services.Time.SetUtcNow(AfterPeriod);
        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "transfer")).Kind);

        var (sha, zip) = await Package(id);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(zip)), sha);
        using (var archive = new ZipArchive(new MemoryStream(zip)))
        {
            Assert.Equal(
                [TransferPackages.PdfName, "files/01_根拠資料.pdf", TransferPackages.JournalName, TransferPackages.ManifestName],
                archive.Entries.Select(e => e.FullName));
            using var manifest = JsonDocument.Parse(archive.GetEntry(TransferPackages.ManifestName)!.Open());
            var files = manifest.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("sha256").GetString());
            foreach (var entry in archive.Entries.Where(e => e.FullName != TransferPackages.ManifestName))
            {
                using var content = entry.Open();
                Assert.Equal(files[entry.FullName], Convert.ToHexStringLower(SHA256.HashData(content)));
            }

            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TestFiles.Pdf())), files["files/01_根拠資料.pdf"]);
            var head = await services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.JournalHead).SingleAsync());
            Assert.Equal(head, manifest.RootElement.GetProperty("journalHead").GetString());
            using var journal = JsonDocument.Parse(archive.GetEntry(TransferPackages.JournalName)!.Open());
            Assert.Equal(head, journal.RootElement.EnumerateArray().Last().GetProperty("hash").GetString());
        }

        // A correction after the package makes it stale: the archives must get the record as it stands.
        var hq = await As("hq");
        await services.In<Corrections, Outcome<CorrectionView>>(c => c.AddAsync(id, "指標の単位を「件」と読み替える。", hq, CancellationToken.None)).OkAsync();
        Assert.Null((await services.In<RetentionDecisions, Outcome<RetentionItem>>(r => r.GetAsync(id, hq, CancellationToken.None)).OkAsync()).PackageSha256);
        Assert.Equal(OutcomeKind.Conflict, (await Decide(id, "transfer")).Kind);

        (sha, _) = await Package(id);
        var transferred = await Decide(id, "transfer").OkAsync();
        Assert.Equal((RetentionStates.Transferred, sha), (transferred.State, transferred.PackageSha256));
        var last = (await Entries(id)).Last();
        Assert.Equal((RetentionDecisions.TransferAction, $"移管パッケージ SHA-256 {sha}"), (last.Action, last.Comment));
        Assert.Equal(0, await services.Db(db => db.StoredObjects.CountAsync()));
        var verification = await Verify();
        Assert.True(verification.Valid, verification.Problem);
    }

    [Fact]
    public async Task The_review_fills_what_older_reports_lack_and_only_headquarters_and_auditors_see_the_list()
    {
        var id = await AcceptedRecord(0, withFile: false);
        var open = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == Section && r.Status != "Accepted").Select(r => new { r.Id, r.MeasureId }).FirstAsync());
        // As if accepted before retention existed, and opened before the plan gave its measure a class.
        await services.Db(db => db.ProgressReports.Where(r => r.Id == id).ExecuteUpdateAsync(s => s.SetProperty(r => r.RetentionUntil, (DateOnly?)null)));
        await services.Db(db => db.ProgressReports.Where(r => r.Id == open.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.RetentionClass, (string?)null)));
        await services.Db(db => db.Measures.Where(m => m.Id == open.MeasureId).ExecuteUpdateAsync(s => s.SetProperty(m => m.RetentionClass, "10")));

        var review = await Review();
        Assert.True(review.ClassesFilled >= 1 && review.PeriodsSet == 1, review.ToString());
        Assert.Equal(OneYearEnd, await services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.RetentionUntil).SingleAsync()));
        Assert.Equal("10", await services.Db(db => db.ProgressReports.Where(r => r.Id == open.Id).Select(r => r.RetentionClass).SingleAsync()));
        Assert.Equal(0, (await Review()).PeriodsSet);

        Assert.True((await List("kept", "auditor")).IsOk);
        Assert.True((await List("kept", "hq")).IsOk);
        Assert.Equal(OutcomeKind.Forbidden, (await List("kept", "staff")).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await List("kept", "chief")).Kind);
        Assert.True((await List("everything")).Failure!.Names("state"));
        Assert.Equal(OutcomeKind.Forbidden, (await Decide(id, "hold", "理由", who: "auditor")).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await Decide(open.Id, "hold", "理由")).Kind);
    }
}

public sealed class RetentionTests_Embedded() : RetentionTests(Profile.Embedded);

public sealed class RetentionTests_Production() : RetentionTests(Profile.Production);
