using System.Security.Cryptography;
using System.Text;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Records;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AomoriReform.Tests.Records;

/// <summary>
/// Evidence attachments (添付資料), corrections after acceptance (軽微な修正) and the decision record
/// below HTTP, on both profiles: the type told by the content, the limits, the names, versions,
/// the journal signing the files and verification finding a swapped or deleted one, nothing
/// changing after acceptance, and an upload raced with an acceptance.
/// </summary>
public abstract class AttachmentTests(Profile profile) : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";
    private const long MaxFile = (5L << 20) / 2;
    private const long MaxReport = 5L << 20;
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero), new Dictionary<string, string?>
        {
            ["Records:MaxFileBytes"] = MaxFile.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Records:MaxReportBytes"] = MaxReport.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        await services.ImportSamplesAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,行政経営管理課長 三郎,gyosei-keiei,SectionChief\r\n" +
            "user,jinji.staff@pref.example.jp,人事担当 四郎,jinji,Staff\r\n" +
            "user,hq@pref.example.jp,本部 十郎,,HqReviewer\r\n");
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private async Task<Caller> As(string local)
    {
        var id = await services.Db(db => db.Users.Where(u => u.Email == $"{local}@pref.example.jp").Select(u => u.Id).SingleAsync());
        return (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(id, CancellationToken.None)))!;
    }

    private Task<Guid> StandardReport(int index = 0) =>
        services.Db(db => db.ProgressReports.Where(r => r.SectionCode == Section && r.RouteName == "progress-report" && r.FiscalYear == 2025)
            .OrderBy(r => r.MeasureCode).Select(r => r.Id).Skip(index).FirstAsync());

    private async Task<Outcome<AttachmentView>> Upload(Guid report, string name, byte[] content, string who = "staff") =>
        await Upload(report, name, new MemoryStream(content), who);

    private async Task<Outcome<AttachmentView>> Upload(Guid report, string name, Stream content, string who = "staff")
    {
        var caller = await As(who);
        return await services.In<Attachments, Outcome<AttachmentView>>(a => a.UploadAsync(report, name, content, caller, CancellationToken.None));
    }

    private async Task<Outcome<ReportView>> Act(Guid id, string who, ReportAction action)
    {
        var caller = await As(who);
        var version = await services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());
        return await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, action, version, null, caller, null, CancellationToken.None));
    }

    private async Task Accept(Guid id)
    {
        await Act(id, "staff", ReportAction.Submit).OkAsync();
        await Act(id, "chief", ReportAction.Approve).OkAsync();
        await Act(id, "hq", ReportAction.Accept).OkAsync();
    }

    private Task<JournalVerification> Verify(bool files = true) =>
        services.In<JournalKeys, JournalVerification>(keys => services.In<IReportAttachments, JournalVerification>(attachments =>
            services.Db(db => Journal.VerifyAsync(db, keys, attachments, files, CancellationToken.None))));

    private Task<(int Objects, int Chunks, int Versions)> Stored() => services.Db(async db =>
        (await db.StoredObjects.CountAsync(), await db.StoredChunks.CountAsync(), await db.AttachmentVersions.CountAsync()));

    private async Task<byte[]> Download(Guid report, Guid attachment, int? version = null, string who = "staff")
    {
        var caller = await As(who);
        return await services.In<Attachments, byte[]>(async a =>
        {
            var file = await a.OpenAsync(report, attachment, version, caller, CancellationToken.None).OkAsync();
            await using var content = file.Content;
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            return copy.ToArray();
        });
    }

    [Fact]
    public async Task Files_are_recognised_by_their_content_never_by_their_name()
    {
        var id = await StandardReport();
        (string Name, byte[] Content, string Type)[] accepted =
        [
            (TestFiles.JapaneseName, TestFiles.Pdf(), "application/pdf"),
            ("グラフ.png", TestFiles.Png(), "image/png"),
            ("写真.JPG", TestFiles.Jpeg(), "image/jpeg"),
            ("図.gif", TestFiles.Gif(), "image/gif"),
            ("集計表.xlsx", TestFiles.Xlsx(), FileTypes.Xlsx.ContentType),
            ("説明資料.docx", TestFiles.Docx(), FileTypes.Docx.ContentType),
            ("報告会.pptx", TestFiles.Pptx(), FileTypes.Pptx.ContentType),
            ("実績.csv", TestFiles.Csv(), "text/csv; charset=utf-8"),
            ("メモ.txt", TestFiles.Csv(), "text/plain; charset=utf-8"),
        ];
        foreach (var (name, content, type) in accepted)
        {
            var file = await Upload(id, name, content).OkAsync();
            Assert.Equal((name, type, content.LongLength, Convert.ToHexStringLower(SHA256.HashData(content)), 1), (file.FileName, file.ContentType, file.Size, file.Sha256, file.Version));
            Assert.Equal("担当 一郎", file.UploadedBy);
        }

        var before = await Stored();
        (string Name, byte[] Content, string Problem)[] refused =
        [
            ("実行ファイル.pdf", TestFiles.Executable(), AttachmentProblems.UnsupportedType),
            ("本当はPDF.xlsx", TestFiles.Pdf(), AttachmentProblems.NameMismatch),
            ("script.vbs", TestFiles.Csv(), AttachmentProblems.NameMismatch),
            ("page.html", TestFiles.Html(), AttachmentProblems.NameMismatch),
            ("旧形式.xls", TestFiles.LegacyExcel(), AttachmentProblems.LegacyOffice),
            ("旧形式.xlsx", TestFiles.LegacyExcel(), AttachmentProblems.LegacyOffice),
            ("マクロ付き.xlsx", TestFiles.Xlsm(), AttachmentProblems.Macros),
            ("マクロ付き.xlsm", TestFiles.Xlsm(), AttachmentProblems.UnsupportedType),
            ("圧縮.xlsx", TestFiles.Zip(), AttachmentProblems.UnsupportedType),
            ("圧縮.zip", TestFiles.Zip(), AttachmentProblems.UnsupportedType),
            ("文書.docx", TestFiles.Xlsx(), AttachmentProblems.NameMismatch),
            ("シフトJIS.csv", TestFiles.ShiftJisCsv(), AttachmentProblems.NotUtf8),
            ("UTF16.txt", TestFiles.Utf16Text(), AttachmentProblems.NotUtf8),
        ];
        foreach (var (name, content, problem) in refused)
        {
            var failure = (await Upload(id, name, content)).Failure;
            Assert.True(failure is { Kind: OutcomeKind.UnsupportedType } && failure.Title == problem, $"{name}: {failure?.Kind} {failure?.Title} {failure?.Detail}");
        }

        // Refused files leave nothing behind, the ZIPs checked after storing included.
        Assert.Equal(before, await Stored());
        var listed = await services.In<Attachments, Outcome<IReadOnlyList<AttachmentView>>>(async a => await a.ListAsync(id, await As("staff"), CancellationToken.None)).OkAsync();
        Assert.Equal(accepted.Select(a => a.Name), listed.Select(a => a.FileName));
    }

    [Fact]
    public async Task Names_keep_Japanese_and_refuse_paths_controls_empty_and_overlong_ones()
    {
        var id = await StandardReport();
        var decomposed = "ガイドライン.pdf".Normalize(NormalizationForm.FormD);
        var kept = await Upload(id, decomposed, TestFiles.Pdf()).OkAsync();
        Assert.Equal("ガイドライン.pdf", kept.FileName);
        Assert.True(kept.FileName.IsNormalized(NormalizationForm.FormC));

        string?[] bad =
        [
            null, "", "   ", "../../etc/passwd.pdf", "..\\..\\boot.pdf", "C:\\Users\\職員\\資料.pdf", "a/b.pdf", "..", ".pdf", "%2e%2e%2fpasswd.pdf",
            "x\u0000.pdf", "改行\n.pdf", "タブ\t.pdf", "請求書\u202Efdp.exe.pdf", "幅なし\u200B.pdf", "資料?.pdf", "資料:2.pdf", "CON.pdf", "末尾の点.", " 先頭空白.pdf",
            new string('長', 85) + ".pdf",
        ];
        foreach (var name in bad)
        {
            var failure = (await Upload(id, name!, TestFiles.Pdf())).Failure;
            Assert.True(failure is { Kind: OutcomeKind.Invalid } && failure.Names("file") && failure.Title == AttachmentProblems.BadName, $"'{name}': {failure?.Kind} {failure?.Detail}");
        }

        var empty = (await Upload(id, "空.pdf", [])).Failure;
        Assert.True(empty is { Kind: OutcomeKind.Invalid } && empty.Names("file") && empty.Title == AttachmentProblems.Empty);
        Assert.Equal(1, (await Stored()).Versions);
        Assert.Equal(1, (await Stored()).Objects);
    }

    [Fact]
    public async Task Limits_per_file_and_per_report_answer_too_large_and_store_nothing()
    {
        var id = await StandardReport();
        var tooLarge = (await Upload(id, "大きすぎる.pdf", TestFiles.LargePdf((int)MaxFile + 1))).Failure;
        Assert.True(tooLarge is { Kind: OutcomeKind.TooLarge, Title: AttachmentProblems.FileTooLarge }, tooLarge?.Detail);
        Assert.Equal((0, 0, 0), await Stored());

        // Files over several chunks of 1 MiB come back byte for byte.
        var first = TestFiles.LargePdf((int)MaxFile);
        var stored = await Upload(id, "一つ目.pdf", first).OkAsync();
        Assert.Equal(3, (await Stored()).Chunks);
        Assert.Equal(first, await Download(id, stored.Id));
        Assert.Equal(first, await Download(id, stored.Id, who: "hq"));
        await Upload(id, "二つ目.pdf", TestFiles.LargePdf(2 << 20)).OkAsync();

        // The report keeps 4.5 MiB of its 5 MiB: a file of 1 MiB no longer fits.
        var full = (await Upload(id, "三つ目.pdf", TestFiles.LargePdf(1 << 20))).Failure;
        Assert.True(full is { Kind: OutcomeKind.TooLarge, Title: AttachmentProblems.ReportFull }, full?.Detail);
        Assert.Equal(2, (await Stored()).Objects);
        var budget = await services.In<Attachments, AttachmentBudget>(a => a.BudgetAsync(id, CancellationToken.None));
        Assert.Equal(MaxFile + (2 << 20), budget.StoredBytes);
    }

    [Fact]
    public async Task Replacing_keeps_every_version_and_deleting_keeps_them_for_the_journal()
    {
        var id = await StandardReport();
        var first = await Upload(id, "根拠資料.pdf", TestFiles.Pdf("first")).OkAsync();
        var staff = await As("staff");
        var xlsx = TestFiles.Xlsx();
        var second = await services.In<Attachments, Outcome<AttachmentView>>(a =>
            a.ReplaceAsync(id, first.Id, "根拠資料（修正版）.xlsx", new MemoryStream(xlsx), staff, CancellationToken.None)).OkAsync();

        Assert.Equal((first.Id, 2, "根拠資料（修正版）.xlsx"), (second.Id, second.Version, second.FileName));
        var listed = await services.In<Attachments, Outcome<IReadOnlyList<AttachmentView>>>(a => a.ListAsync(id, staff, CancellationToken.None)).OkAsync();
        Assert.Equal(second, Assert.Single(listed));
        var versions = await services.In<Attachments, Outcome<IReadOnlyList<AttachmentView>>>(a => a.VersionsAsync(id, first.Id, staff, CancellationToken.None)).OkAsync();
        Assert.Equal([1, 2], versions.Select(v => v.Version));
        Assert.Equal(TestFiles.Pdf("first"), await Download(id, first.Id, version: 1));
        Assert.Equal(xlsx, await Download(id, first.Id));

        // Submitted with the second version, returned, then deleted: gone from the list, kept for the journal.
        await Act(id, "staff", ReportAction.Submit).OkAsync();
        var chief = await As("chief");
        var version = await services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());
        await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, ReportAction.Return, version, "資料を差し替えてください", chief, null, CancellationToken.None)).OkAsync();
        await services.In<Attachments, Outcome<Done>>(a => a.DeleteAsync(id, first.Id, staff, CancellationToken.None)).OkAsync();

        Assert.Empty(await services.In<Attachments, Outcome<IReadOnlyList<AttachmentView>>>(a => a.ListAsync(id, staff, CancellationToken.None)).OkAsync());
        Assert.Equal(OutcomeKind.NotFound, (await services.In<Attachments, Outcome<AttachmentFile>>(a => a.OpenAsync(id, first.Id, null, staff, CancellationToken.None))).Kind);
        Assert.Equal(xlsx, await Download(id, first.Id, version: 2));
        Assert.Equal(OutcomeKind.NotFound, (await services.In<Attachments, Outcome<AttachmentView>>(a =>
            a.ReplaceAsync(id, first.Id, "再.pdf", new MemoryStream(TestFiles.Pdf()), staff, CancellationToken.None))).Kind);
        Assert.Equal(2, (await Stored()).Versions);
        var verification = await Verify();
        Assert.True(verification.Valid, verification.Problem);
        Assert.Equal(1, verification.AttachmentsChecked);
    }

    [Fact]
    public async Task Each_action_signs_the_files_and_verification_finds_a_swapped_or_deleted_one()
    {
        var id = await StandardReport();
        var pdf = await Upload(id, TestFiles.JapaneseName, TestFiles.Pdf()).OkAsync();
        var csv = await Upload(id, "実績.csv", TestFiles.Csv()).OkAsync();
        await Accept(id);

        var journal = await services.Db(db => db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync());
        Assert.Equal(["open", "submit", "approve", "accept"], journal.Select(e => e.Action));
        var manifest = Journal.Manifest([new SignedAttachment(pdf.Id, 1, pdf.Sha256), new SignedAttachment(csv.Id, 1, csv.Sha256)]);
        Assert.All(journal.Skip(1), e => Assert.Equal((manifest, Journal.Sha256(manifest)), (e.Attachments, e.AttachmentsHash)));
        Assert.Contains($"{pdf.Id:N} 1 {pdf.Sha256}", manifest, StringComparison.Ordinal);
        // The entries written before (the check-in's opening) stay j3 and still verify.
        Assert.Null(journal[0].AttachmentsHash);
        Assert.StartsWith("j3", Journal.SignedText(journal[0]), StringComparison.Ordinal);
        Assert.StartsWith("j4", Journal.SignedText(journal[3]), StringComparison.Ordinal);
        var verification = await Verify();
        Assert.True(verification.Valid, verification.Problem);
        Assert.Equal((2, true), (verification.AttachmentsChecked, verification.FilesRehashed));

        // The bytes swapped, the recorded hash left alone: only recomputing the hash finds it.
        var key = await services.Db(db => db.AttachmentVersions.Where(v => v.AttachmentId == csv.Id).Select(v => v.StorageKey).SingleAsync());
        var original = await services.Db(db => db.StoredChunks.Where(c => c.ObjectKey == key).Select(c => c.Data).SingleAsync());
        var swapped = Encoding.UTF8.GetBytes("指標,目標,実績\nオンライン化手続数,350,350\n電子申請の利用率,45.5,45.5\n");
        await SetChunk(key, swapped);
        Assert.True((await Verify(files: false)).Valid);
        var found = await Verify();
        Assert.False(found.Valid);
        Assert.Equal(id, found.FirstBadReportId);
        Assert.Contains("stored bytes", found.Problem, StringComparison.Ordinal);

        // The bytes and the recorded hash swapped together: the signed list finds it.
        await services.Db(db => db.AttachmentVersions.Where(v => v.AttachmentId == csv.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(v => v.Sha256, Convert.ToHexStringLower(SHA256.HashData(swapped))).SetProperty(v => v.Size, swapped.Length)));
        found = await Verify(files: false);
        Assert.False(found.Valid);
        Assert.Contains("swapped", found.Problem, StringComparison.Ordinal);
        await SetChunk(key, original);
        await services.Db(db => db.AttachmentVersions.Where(v => v.AttachmentId == csv.Id).ExecuteUpdateAsync(s => s.SetProperty(v => v.Sha256, csv.Sha256).SetProperty(v => v.Size, csv.Size)));
        Assert.True((await Verify()).Valid);

        // A signed version deleted.
        var row = await services.Db(db => db.AttachmentVersions.AsNoTracking().SingleAsync(v => v.AttachmentId == pdf.Id));
        await services.Db(db => db.AttachmentVersions.Where(v => v.AttachmentId == pdf.Id).ExecuteDeleteAsync());
        found = await Verify(files: false);
        Assert.False(found.Valid);
        Assert.Contains("was deleted", found.Problem, StringComparison.Ordinal);
        await services.Db(db =>
        {
            db.AttachmentVersions.Add(row);
            return db.SaveChangesAsync();
        });
        Assert.True((await Verify()).Valid);

        // A file slipped onto the accepted report behind the application's back, or one taken off it.
        await services.Db(db => db.Attachments.Where(a => a.Id == pdf.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.DeletedAt, DateTime.UtcNow)));
        found = await Verify(files: false);
        Assert.False(found.Valid);
        Assert.Contains("differ from what its last signing entry listed", found.Problem, StringComparison.Ordinal);
        await services.Db(db => db.Attachments.Where(a => a.Id == pdf.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.DeletedAt, (DateTime?)null)));

        // The signed list itself edited.
        await services.Db(db => db.JournalEntries.Where(e => e.ReportId == id && e.Seq == 4).ExecuteUpdateAsync(s => s.SetProperty(e => e.Attachments, manifest.Replace(csv.Sha256, pdf.Sha256))));
        found = await Verify(files: false);
        Assert.False(found.Valid);
        Assert.Equal(4, found.FirstBadSeq);
    }

    private Task SetChunk(string key, byte[] data) =>
        services.Db(db => db.StoredChunks.Where(c => c.ObjectKey == key).ExecuteUpdateAsync(s => s.SetProperty(c => c.Data, data)));

    [Fact]
    public async Task Only_the_drafting_staff_change_files_and_only_while_the_report_is_editable()
    {
        var id = await StandardReport();
        var file = await Upload(id, "資料.pdf", TestFiles.Pdf()).OkAsync();
        Assert.Equal(OutcomeKind.Forbidden, (await Upload(id, "課長.pdf", TestFiles.Pdf(), "chief")).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Upload(id, "本部.pdf", TestFiles.Pdf(), "hq")).Kind);
        Assert.Equal(OutcomeKind.NotFound, (await Upload(id, "他課.pdf", TestFiles.Pdf(), "jinji.staff")).Kind);

        await Act(id, "staff", ReportAction.Submit).OkAsync();
        Assert.Equal(OutcomeKind.Conflict, (await Upload(id, "提出後.pdf", TestFiles.Pdf())).Kind);
        await Act(id, "chief", ReportAction.Approve).OkAsync();
        await Act(id, "hq", ReportAction.Accept).OkAsync();

        var staff = await As("staff");
        Assert.Equal(OutcomeKind.Conflict, (await Upload(id, "受理後.pdf", TestFiles.Pdf())).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await services.In<Attachments, Outcome<AttachmentView>>(a =>
            a.ReplaceAsync(id, file.Id, "差替.pdf", new MemoryStream(TestFiles.Pdf("other")), staff, CancellationToken.None))).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await services.In<Attachments, Outcome<Done>>(a => a.DeleteAsync(id, file.Id, staff, CancellationToken.None))).Kind);
        Assert.Equal(OutcomeKind.Conflict, (await services.In<ReportWorkflow, Outcome<ReportView>>(w =>
            w.SaveAsync(id, 5, new ReportContent(Progress.Delayed, "書き換え", null, []), staff, null, CancellationToken.None))).Kind);
        Assert.Equal((1, 1), ((await Stored()).Objects, (await Stored()).Versions));
        Assert.True((await Verify()).Valid);
    }

    [Fact]
    public async Task An_upload_raced_with_an_acceptance_loses_and_leaves_nothing()
    {
        var id = await StandardReport();
        var gate = new TaskCompletionSource();
        var reached = new TaskCompletionSource();
        var content = TestFiles.LargePdf((3 << 20) / 2);
        var upload = Upload(id, "遅い回線.pdf", new GatedStream(content, DatabaseAttachmentStore.ChunkSize, gate.Task, reached));
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((1, 1, 0), await Stored());

        // While the file is on its way, the report is submitted, approved and accepted.
        await Accept(id);
        gate.SetResult();

        Assert.Equal(OutcomeKind.Conflict, (await upload).Kind);
        Assert.Equal((0, 0, 0), await Stored());
        var accepted = await services.Db(db => db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).LastAsync());
        Assert.Equal(("accept", string.Empty), (accepted.Action, accepted.Attachments));
        Assert.True((await Verify()).Valid);
    }

    [Fact]
    public async Task An_upload_and_a_submission_at_the_same_moment_end_consistent_whichever_wins()
    {
        var outcomes = new List<(OutcomeKind Upload, OutcomeKind Submit)>();
        for (var i = 0; i < 4; i++)
        {
            var id = await StandardReport(i);
            var content = TestFiles.Pdf($"race {i}");
            var upload = Task.Run(() => Upload(id, $"同時{i}.pdf", content));
            var submit = Task.Run(() => Act(id, "staff", ReportAction.Submit));
            await Task.WhenAll(upload, submit);
            var (uploaded, submitted) = (await upload, await submit);
            outcomes.Add((uploaded.Kind, submitted.Kind));
            Assert.True(uploaded.IsOk || submitted.IsOk, $"both failed: {uploaded.Failure?.Detail} / {submitted.Failure?.Detail}");

            var entry = await services.Db(db => db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).LastAsync());
            var versions = await services.Db(db => db.AttachmentVersions.CountAsync(v => v.ReportId == id));
            if (uploaded.IsOk && submitted.IsOk)
            {
                // The upload committed first: the submission signed it.
                Assert.Equal(($"{uploaded.Value.Id:N} 1 {uploaded.Value.Sha256}", 1), (entry.Attachments, versions));
            }
            else if (submitted.IsOk)
            {
                Assert.Equal((OutcomeKind.Conflict, string.Empty, 0), (uploaded.Kind, entry.Attachments, versions));
            }
            else
            {
                Assert.Equal((OutcomeKind.Conflict, "open", 1), (submitted.Kind, entry.Action, versions));
            }
        }

        var (objects, _, stored) = await Stored();
        Assert.Equal(stored, objects);
        var verification = await Verify();
        Assert.True(verification.Valid, verification.Problem + " " + string.Join(", ", outcomes));
    }

    [Fact]
    public async Task The_report_row_is_the_claim_an_action_and_a_file_change_meet_on()
    {
        var id = await StandardReport();
        Assert.Equal(0, await FilesStamp(id));

        // An action's unit of work read the report (and so its file list) before an upload committed.
        await services.Db(async db =>
        {
            var report = await db.ProgressReports.SingleAsync(r => r.Id == id);
            await Upload(id, "途中.pdf", TestFiles.Pdf("claim")).OkAsync();
            report.Version++;
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync());
            return true;
        });
        Assert.Equal(1, await FilesStamp(id));

        // A file change read the report before an action committed: the action moved the version.
        await services.Db(async db =>
        {
            var report = await db.ProgressReports.SingleAsync(r => r.Id == id);
            await Act(id, "staff", ReportAction.Submit).OkAsync();
            report.FilesStamp++;
            await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db.SaveChangesAsync());
            return true;
        });

        // Actions sign the list without moving the stamp; only file changes move it.
        await Act(id, "staff", ReportAction.Recall).OkAsync();
        var file = await services.Db(db => db.Attachments.Where(a => a.ReportId == id).Select(a => a.Id).SingleAsync());
        var staff = await As("staff");
        await services.In<Attachments, Outcome<Done>>(a => a.DeleteAsync(id, file, staff, CancellationToken.None)).OkAsync();
        Assert.Equal(2, await FilesStamp(id));
        await Act(id, "staff", ReportAction.Submit).OkAsync();
        Assert.Equal(2, await FilesStamp(id));
        var entries = await services.Db(db => db.JournalEntries.AsNoTracking().Where(e => e.ReportId == id).OrderBy(e => e.Seq).Select(e => new { e.Action, e.Attachments }).ToListAsync());
        Assert.Equal(["open", "submit", "recall", "submit"], entries.Select(e => e.Action));
        Assert.Contains($"{file:N} 1 ", entries[1].Attachments, StringComparison.Ordinal);
        Assert.Equal(string.Empty, entries[3].Attachments);
        Assert.True((await Verify()).Valid);
    }

    [Fact]
    public async Task The_upgrade_to_the_stamp_on_the_report_marks_the_reports_that_had_files()
    {
        var (withFile, without) = (await StandardReport(0), await StandardReport(1));
        await Upload(withFile, "以前.pdf", TestFiles.Pdf("upgrade")).OkAsync();
        await Act(without, "staff", ReportAction.Submit).OkAsync();

        // Back to the schema before the stamp moved onto the report, and up again, as an upgrade runs.
        await services.Db(async db =>
        {
            var migrations = db.Database.GetMigrations().ToList();
            var stamp = migrations.FindIndex(m => m.EndsWith("_FilesStampOnReport", StringComparison.Ordinal));
            await db.GetService<IMigrator>().MigrateAsync(migrations[stamp - 1]);
            await db.Database.MigrateAsync();
            // Statements prepared on pooled connections before the schema changed are not reused.
            if (db.Database.IsNpgsql())
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
            }

            return true;
        });

        Assert.Equal((1, 0), (await FilesStamp(withFile), await FilesStamp(without)));
        await Act(withFile, "staff", ReportAction.Submit).OkAsync();
        var signed = await services.Db(db => db.JournalEntries.AsNoTracking().Where(e => e.ReportId == withFile).OrderBy(e => e.Seq).Select(e => e.Attachments).LastAsync());
        Assert.NotEqual(string.Empty, signed);
        Assert.True((await Verify()).Valid);
    }

    private Task<int> FilesStamp(Guid id) => services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.FilesStamp).SingleAsync());

    [Fact]
    public async Task Corrections_are_appended_by_headquarters_after_acceptance_journaled_and_never_edit()
    {
        var id = await StandardReport();
        var file = await Upload(id, TestFiles.JapaneseName, TestFiles.Pdf()).OkAsync();
        var hq = await As("hq");
        Assert.Equal(OutcomeKind.Conflict, (await services.In<Corrections, Outcome<CorrectionView>>(c => c.AddAsync(id, "早すぎる修正", hq, CancellationToken.None))).Kind);
        await Accept(id);
        var before = await services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id));

        var staff = await As("staff");
        Assert.Equal(OutcomeKind.Forbidden, (await services.In<Corrections, Outcome<CorrectionView>>(c => c.AddAsync(id, "担当の修正", staff, CancellationToken.None))).Kind);
        Assert.Equal("text", (await services.In<Corrections, Outcome<CorrectionView>>(c => c.AddAsync(id, "  ", hq, CancellationToken.None))).Failure!.Field);
        Assert.Equal("text", (await services.In<Corrections, Outcome<CorrectionView>>(c => c.AddAsync(id, "制御\u0007文字", hq, CancellationToken.None))).Failure!.Field);
        var jinji = await As("jinji.staff");
        Assert.Equal(OutcomeKind.NotFound, (await services.In<Corrections, Outcome<IReadOnlyList<CorrectionView>>>(c => c.ListAsync(id, jinji, CancellationToken.None))).Kind);

        var correction = await services.In<Corrections, Outcome<CorrectionView>>(c => c.AddAsync(id, "指標2の単位の誤記（「件」→「%」）。実績値に変更はない。", hq, CancellationToken.None)).OkAsync();

        Assert.Equal((5, "本部 十郎"), (correction.Id, correction.Author));
        var entry = await services.Db(db => db.JournalEntries.AsNoTracking().SingleAsync(e => e.ReportId == id && e.Seq == 5));
        Assert.Equal(("correction", "Accepted", "Accepted", $"{file.Id:N} 1 {file.Sha256}"), (entry.Action, entry.FromStatus, entry.ToStatus, entry.Attachments));
        var after = await services.Db(db => db.ProgressReports.AsNoTracking().SingleAsync(r => r.Id == id));
        Assert.Equal((before.Version, before.Status, Journal.ContentHash(before.Content)), (after.Version, after.Status, Journal.ContentHash(after.Content)));
        var listed = await services.In<Corrections, Outcome<IReadOnlyList<CorrectionView>>>(c => c.ListAsync(id, staff, CancellationToken.None)).OkAsync();
        Assert.Equal(correction, Assert.Single(listed));
        Assert.True((await Verify()).Valid);
    }

    [Fact]
    public async Task The_decision_record_carries_the_approvals_files_corrections_and_journal_head()
    {
        var id = await StandardReport();
        var file = await Upload(id, TestFiles.JapaneseName, TestFiles.Pdf()).OkAsync();
        await Accept(id);
        var hq = await As("hq");
        await services.In<Corrections, Outcome<CorrectionView>>(c => c.AddAsync(id, "誤記を訂正する。", hq, CancellationToken.None)).OkAsync();
        var committee = hq;

        var rendered = await services.In<DecisionRecords, Outcome<DecisionRecordFile>>(r => r.RenderAsync(id, committee, CancellationToken.None)).OkAsync();
        var record = rendered.Record;
        var head = await services.Db(db => db.ProgressReports.Where(r => r.Id == id).Select(r => new { r.JournalHead, r.JournalLength }).SingleAsync());

        Assert.Equal("受理済", record.Status);
        Assert.Equal(["提出", "承認", "受理"], record.Approvals.Select(a => a.Action));
        Assert.Equal(["担当課の作成・提出", "課長決裁", "推進本部の審査・受理"], record.Approvals.Select(a => a.StepTitle));
        Assert.Equal("行政経営管理課長 三郎", record.Approvals[1].ActorName);
        Assert.EndsWith("課長", record.Approvals[1].ActorTitle, StringComparison.Ordinal);
        Assert.Equal((TestFiles.JapaneseName, file.Sha256), (Assert.Single(record.Attachments).FileName, record.Attachments[0].Sha256));
        Assert.Equal("誤記を訂正する。", Assert.Single(record.Corrections).Text);
        Assert.Equal((head.JournalLength, head.JournalHead), (record.Journal.EntryCount, record.Journal.HeadHash));
        Assert.StartsWith("決裁文書_", rendered.FileName, StringComparison.Ordinal);
        // 保存期間: the plan's 5 years, counted from the fiscal year after the one of acceptance (FY2026).
        Assert.Equal("5年（令和14年3月31日まで）", record.RetentionClass);
        var view = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.GetAsync(id, hq, CancellationToken.None)).OkAsync();
        Assert.Equal(("5", new DateOnly(2032, 3, 31)), (view.RetentionClass, view.RetentionUntil));

        using var pdf = UglyToad.PdfPig.PdfDocument.Open(rendered.Pdf);
        var text = string.Concat(pdf.GetPages().Select(p => p.Text)).RemoveWhitespace();
        Assert.Contains(file.Sha256, text, StringComparison.Ordinal);
        Assert.Contains(head.JournalHead, text, StringComparison.Ordinal);
        Assert.Contains("誤記を訂正する。", text, StringComparison.Ordinal);
        Assert.Contains("5年（令和14年3月31日まで）", text, StringComparison.Ordinal);
        var jinji = await As("jinji.staff");
        Assert.Equal(OutcomeKind.NotFound, (await services.In<DecisionRecords, Outcome<DecisionRecordFile>>(r => r.RenderAsync(id, jinji, CancellationToken.None))).Kind);
    }

    /// <summary>Gives its bytes up to a point, then waits for the gate: a slow upload caught in the middle.</summary>
    private sealed class GatedStream(byte[] data, int openUntil, Task gate, TaskCompletionSource reached) : Stream
    {
        private int position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (position >= openUntil && !gate.IsCompleted)
            {
                reached.TrySetResult();
                await gate.WaitAsync(cancellationToken);
            }

            var end = position < openUntil ? openUntil : data.Length;
            var count = Math.Min(buffer.Length, end - position);
            data.AsMemory(position, count).CopyTo(buffer);
            position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

public sealed class AttachmentTests_Embedded() : AttachmentTests(Profile.Embedded);

public sealed class AttachmentTests_Production() : AttachmentTests(Profile.Production);
