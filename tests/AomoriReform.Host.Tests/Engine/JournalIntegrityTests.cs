using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace AomoriReform.Tests.Engine;

/// <summary>
/// The keyed journal (issue 10, finding 4): someone with write access to the database but not the
/// key cannot rewrite, edit, truncate or delete history so that it still verifies.
/// </summary>
[Collection(SharedHost.Name)]
public abstract class JournalIntegrityTests(Profile profile) : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, HttpClient> clients = [];
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(profile);
        app = new ReformApp(database, "Development", time: time);
        Assert.Equal(HttpStatusCode.Created, (await (await As("hq.admin")).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    private async Task<HttpClient> As(string who)
    {
        if (!clients.TryGetValue(who, out var client))
        {
            client = clients[who] = await app.SignedInAsync($"{who}@demo.local");
        }

        return client;
    }

    private Task<Guid> Report(int index = 0) => app.WithDbAsync(db => db.ProgressReports.AsNoTracking()
        .Where(r => r.RouteName == "progress-report" && r.FiscalYear == 2025 && r.SectionCode == Section).OrderBy(r => r.MeasureCode).Skip(index).Select(r => r.Id).FirstAsync());

    private async Task Act(string who, Guid id, string action, string? comment = null)
    {
        var version = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.Id == id).Select(r => r.Version).SingleAsync());
        var response = await (await As(who)).PostAsJsonAsync($"/api/reports/{id}/{action}", new { version, comment });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{who} {action}: {await response.Content.ReadAsStringAsync()}");
    }

    private async Task<JsonElement> Verify() => await (await As("auditor")).GetFromJsonAsync<JsonElement>("/api/audit/verify");

    private async Task<JsonElement> Checkpoint()
    {
        var response = await (await As("hq.admin")).PostAsync(new Uri("/api/audit/checkpoints", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task AssertValid()
    {
        var verify = await Verify();
        Assert.True(verify.GetProperty("valid").GetBoolean(), verify.ToString());
    }

    [Fact]
    public async Task An_entry_rewritten_with_a_recomputed_plain_sha256_chain_does_not_verify()
    {
        var id = await Report();
        await Act($"{Section}.staff", id, "submit");
        await Act($"{Section}.chief", id, "approve");
        await AssertValid();

        // What an attacker with database access could do to the old chain: change the actor and
        // recompute every hash from there on, and the report's head, with plain SHA-256.
        await app.WithDbAsync(async db =>
        {
            var entries = await db.JournalEntries.Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync();
            entries[1].Actor = "偽者";
            var previous = entries[0].Hash;
            foreach (var entry in entries.Skip(1))
            {
                entry.PreviousHash = previous;
                entry.Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Journal.SignedText(entry))));
                previous = entry.Hash;
            }

            var report = await db.ProgressReports.SingleAsync(r => r.Id == id);
            report.JournalHead = previous;
            return await db.SaveChangesAsync();
        });

        var verify = await Verify();
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal((id, 2), (verify.GetProperty("firstBadReportId").GetGuid(), verify.GetProperty("firstBadSeq").GetInt32()));
    }

    [Fact]
    public async Task Editing_an_accepted_reports_content_does_not_verify()
    {
        var id = await Report();
        var saved = await (await As($"{Section}.staff")).PutAsJsonAsync($"/api/reports/{id}", new { version = 1, content = new { progress = "OnTrack", achievements = "実績" } });
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        await Act($"{Section}.staff", id, "submit");
        await Act($"{Section}.chief", id, "approve");
        await Act("hq.reviewer", id, "accept");
        await AssertValid();

        var content = """{"progress":"Delayed","achievements":"書き換え","nextSteps":null,"indicators":[]}""";
        await app.WithDbAsync(db => db.Database.ExecuteSqlAsync($"UPDATE progress_reports SET content = {content} WHERE id = {id}"));

        var verify = await Verify();
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(id, verify.GetProperty("firstBadReportId").GetGuid());
        Assert.Contains("content", verify.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_report_deleted_with_its_chain_after_a_checkpoint_does_not_verify()
    {
        var id = await Report();
        await Act($"{Section}.staff", id, "submit");
        var checkpoint = await Checkpoint();
        Assert.Equal(1, checkpoint.GetProperty("seq").GetInt32());
        Assert.True(checkpoint.GetProperty("reports").GetInt32() > 100);
        var valid = await Verify();
        Assert.True(valid.GetProperty("valid").GetBoolean(), valid.ToString());
        Assert.Equal(1, valid.GetProperty("checkpointSeq").GetInt32());
        Assert.Contains(app.Logs, line => line.Contains("Journal checkpoint 1", StringComparison.Ordinal));

        await app.WithDbAsync(async db =>
        {
            await db.Database.ExecuteSqlAsync($"DELETE FROM work_tasks WHERE report_id = {id}");
            await db.Database.ExecuteSqlAsync($"DELETE FROM report_submissions WHERE report_id = {id}");
            await db.Database.ExecuteSqlAsync($"DELETE FROM attachment_sets WHERE report_id = {id}");
            await db.Database.ExecuteSqlAsync($"DELETE FROM journal_entries WHERE report_id = {id}");
            return await db.Database.ExecuteSqlAsync($"DELETE FROM progress_reports WHERE id = {id}");
        });

        var verify = await Verify();
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(id, verify.GetProperty("firstBadReportId").GetGuid());
    }

    [Fact]
    public async Task Truncating_the_last_entry_and_fixing_the_report_row_does_not_verify()
    {
        var id = await Report();
        await Act($"{Section}.staff", id, "submit");
        await Act($"{Section}.chief", id, "approve");
        await Checkpoint();
        await AssertValid();

        // Undo the approval as if it never happened: the entry goes, the row is put back as it was.
        await app.WithDbAsync(async db =>
        {
            var second = await db.JournalEntries.AsNoTracking().SingleAsync(e => e.ReportId == id && e.Seq == 2);
            await db.Database.ExecuteSqlAsync($"DELETE FROM journal_entries WHERE report_id = {id} AND seq = 3");
            return await db.ProgressReports.Where(r => r.Id == id).ExecuteUpdateAsync(r => r
                .SetProperty(x => x.JournalLength, 2).SetProperty(x => x.JournalHead, second.Hash)
                .SetProperty(x => x.Status, "Submitted").SetProperty(x => x.StepId, "section-approval").SetProperty(x => x.Version, second.ReportVersion));
        });

        var verify = await Verify();
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(id, verify.GetProperty("firstBadReportId").GetGuid());
    }

    [Fact]
    public async Task Entries_signed_by_an_old_key_verify_after_rotation_and_not_without_it()
    {
        var id = await Report();
        await Act($"{Section}.staff", id, "submit");
        await Checkpoint();
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await Restart(new Dictionary<string, string?> { ["Journal:Key"] = newKey, ["Journal:KeyId"] = "k2", ["Journal:Keys:k1"] = ReformApp.JournalKey });

        await Act($"{Section}.chief", id, "approve");
        await Checkpoint();
        await AssertValid();
        var keyIds = await app.WithDbAsync(db => db.JournalEntries.Where(e => e.ReportId == id).OrderBy(e => e.Seq).Select(e => e.KeyId).ToListAsync());
        Assert.Equal(["k1", "k1", "k2"], keyIds);

        // Without the old key, its entries cannot be checked: not valid, and the answer says why.
        await Restart(new Dictionary<string, string?> { ["Journal:Key"] = newKey, ["Journal:KeyId"] = "k2" });
        var verify = await Verify();
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Contains("'k1'", verify.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_embedded_default_creates_its_key_file_once_and_keeps_using_it()
    {
        if (profile != Profile.Embedded)
        {
            return;
        }

        // No key configured; the check-in's entries were signed by the tests' key, kept as an old one.
        var settings = new Dictionary<string, string?> { ["Journal:Key"] = string.Empty, ["Journal:Keys:k1"] = ReformApp.JournalKey };
        await Restart(settings);
        var file = Path.Combine(database.DataDirectory!, JournalKeys.GeneratedFileName);
        var content = await File.ReadAllTextAsync(file);
        Assert.StartsWith($"{JournalKeys.GeneratedKeyId} ", content.Split('\n').Single(l => l.Length > 0 && !l.StartsWith('#')), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        var id = await Report();
        await Act($"{Section}.staff", id, "submit");
        await Restart(settings);
        await Act($"{Section}.chief", id, "approve");

        Assert.Equal(content, await File.ReadAllTextAsync(file));
        Assert.Equal(["k1", JournalKeys.GeneratedKeyId, JournalKeys.GeneratedKeyId],
            await app.WithDbAsync(db => db.JournalEntries.Where(e => e.ReportId == id).OrderBy(e => e.Seq).Select(e => e.KeyId).ToListAsync()));
        await AssertValid();
    }

    [Fact]
    public async Task Entries_written_before_keyed_signing_are_signed_at_start_when_their_old_chain_holds()
    {
        var (intact, broken) = (await Report(0), await Report(1));
        await Act($"{Section}.staff", intact, "submit");
        await Act($"{Section}.staff", broken, "submit");
        // Turn both chains into what the previous version wrote; the second one then tampered with.
        await app.WithDbAsync(async db =>
        {
            foreach (var id in new[] { intact, broken })
            {
                var previous = string.Empty;
                foreach (var entry in await db.JournalEntries.Where(e => e.ReportId == id).OrderBy(e => e.Seq).ToListAsync())
                {
                    (entry.KeyId, entry.ContentHash, entry.ReportVersion, entry.PreviousHash) = (string.Empty, string.Empty, 0, previous);
                    entry.Hash = JournalUpgrade.LegacyHash(entry);
                    previous = entry.Hash;
                    if (id == broken && entry.Seq == 2)
                    {
                        entry.Comment = "改ざん";
                    }
                }

                (await db.ProgressReports.SingleAsync(r => r.Id == id)).JournalHead = previous;
            }

            return await db.SaveChangesAsync();
        });

        await Restart([]);

        Assert.Equal(["k1", "k1"], await app.WithDbAsync(db => db.JournalEntries.Where(e => e.ReportId == intact).OrderBy(e => e.Seq).Select(e => e.KeyId).ToListAsync()));
        Assert.Equal(["", ""], await app.WithDbAsync(db => db.JournalEntries.Where(e => e.ReportId == broken).OrderBy(e => e.Seq).Select(e => e.KeyId).ToListAsync()));
        var verify = await Verify();
        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(broken, verify.GetProperty("firstBadReportId").GetGuid());
    }

    private async Task Restart(Dictionary<string, string?> settings)
    {
        await app.DisposeAsync();
        clients.Clear();
        app = new ReformApp(database, "Development", settings, time);
        _ = app.Server;
    }
}

public sealed class JournalIntegrityTests_Embedded() : JournalIntegrityTests(Profile.Embedded);

public sealed class JournalIntegrityTests_Production() : JournalIntegrityTests(Profile.Production);
