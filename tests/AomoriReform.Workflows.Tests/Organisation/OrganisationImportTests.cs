using System.Text;
using AomoriReform.Workflows.Demo;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Organisation;

public abstract class OrganisationImportTests(Profile profile) : IAsyncLifetime
{
    private const string Header = "kind,code,name,parent,role\r\n";
    private const string Base =
        Header +
        "department,somu,総務部,,\r\n" +
        "section,gyosei-keiei,行政経営管理課,somu,\r\n" +
        "section,jinji,人事課,somu,\r\n" +
        "user,yamada@pref.example.jp,山田 太郎,gyosei-keiei,Staff\r\n" +
        "user,sato@pref.example.jp,佐藤 花子,gyosei-keiei,SectionChief\r\n" +
        "user,suzuki@pref.example.jp,\"鈴木, 一郎\",jinji,Staff\r\n" +
        "user,admin@pref.example.jp,管理 者,,HqAdmin\r\n";

    private WorkflowServices services = null!;

    public async Task InitializeAsync() => services = await WorkflowServices.CreateAsync(profile);

    public async Task DisposeAsync() => await services.DisposeAsync();

    private Task<OrganisationImportResult> Import(string csv, bool dryRun = false) => Import(Encoding.UTF8.GetBytes(csv), dryRun);

    private Task<OrganisationImportResult> Import(byte[] file, bool dryRun = false) =>
        services.In<OrganisationImport, Outcome<OrganisationImportResult>>(import => import.ImportAsync(file, "admin@pref.example.jp", dryRun, CancellationToken.None)).ImportedAsync();

    private Task<string> Snapshot() => services.Db(async db =>
        string.Join("|", (await db.Departments.AsNoTracking().OrderBy(d => d.Code).ToListAsync()).Select(d => $"{d.Code}:{d.Name}"))
        + "#" + string.Join("|", (await db.Sections.AsNoTracking().OrderBy(s => s.Code).ToListAsync()).Select(s => $"{s.Code}:{s.Name}:{s.DepartmentCode}"))
        + "#" + string.Join("|", (await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync()).Select(u => $"{u.Email}:{u.DisplayName}:{u.Role}:{u.SectionCode}:{u.IsActive}"))
        + "#" + await db.OutboxMessages.CountAsync());

    [Fact]
    public async Task A_valid_file_is_imported_with_its_japanese_text_and_an_event()
    {
        var result = await Import(Base);

        Assert.Equal(["somu"], result.Departments.Added);
        Assert.Equal(["gyosei-keiei", "jinji"], result.Sections.Added);
        Assert.Equal(4, result.Users.Added.Count);
        var suzuki = await services.Db(db => db.Users.AsNoTracking().SingleAsync(u => u.Email == "suzuki@pref.example.jp"));
        Assert.Equal(("鈴木, 一郎", Role.Staff, "jinji", "somu"), (suzuki.DisplayName, suzuki.Role, suzuki.SectionCode, suzuki.DepartmentCode));
        var message = await services.Db(db => db.OutboxMessages.AsNoTracking().SingleAsync());
        Assert.Equal("AomoriReform.Contracts.Organisation.OrganisationImported", message.MessageType);
    }

    [Fact]
    public async Task A_reimport_reports_added_changed_unchanged_and_deactivated()
    {
        await Import(Base);
        var transfer = Header +
            "department,somu,総務部,,\r\n" +
            "section,gyosei-keiei,行政経営管理課,somu,\r\n" +
            "section,jinji,人事課（改称）,somu,\r\n" +
            "user,yamada@pref.example.jp,山田 太郎,jinji,Staff\r\n" +
            "user,sato@pref.example.jp,佐藤 花子,gyosei-keiei,SectionChief\r\n" +
            "user,tanaka@pref.example.jp,田中 次郎,gyosei-keiei,Staff\r\n" +
            "user,admin@pref.example.jp,管理 者,,HqAdmin\r\n";

        var result = await Import(transfer);

        Assert.Equal(["somu"], result.Departments.Unchanged);
        Assert.Equal(["jinji"], result.Sections.Changed);
        Assert.Equal(["gyosei-keiei"], result.Sections.Unchanged);
        Assert.Equal(["tanaka@pref.example.jp"], result.Users.Added);
        Assert.Equal(["yamada@pref.example.jp"], result.Users.Changed);
        Assert.Equal(["sato@pref.example.jp", "admin@pref.example.jp"], result.Users.Unchanged);
        Assert.Equal(["suzuki@pref.example.jp"], result.Users.Deactivated);
        Assert.False(await services.Db(db => db.Users.Where(u => u.Email == "suzuki@pref.example.jp").Select(u => u.IsActive).SingleAsync()));

        var again = await Import(transfer);
        Assert.Empty(again.Users.Added.Concat(again.Users.Changed).Concat(again.Users.Deactivated));
        Assert.Empty(again.Sections.Changed);
    }

    [Fact]
    public async Task A_deactivated_user_listed_again_is_reactivated()
    {
        await Import(Base);
        await Import(Base.Replace("user,suzuki@pref.example.jp,\"鈴木, 一郎\",jinji,Staff\r\n", string.Empty, StringComparison.Ordinal));

        var result = await Import(Base);

        Assert.Equal(["suzuki@pref.example.jp"], result.Users.Changed);
        Assert.True(await services.Db(db => db.Users.Where(u => u.Email == "suzuki@pref.example.jp").Select(u => u.IsActive).SingleAsync()));
    }

    [Theory]
    [InlineData("user,kimura@pref.example.jp,木村,no-such-section,Staff\r\n", 9, "unknown section 'no-such-section'")]
    [InlineData("user,YAMADA@pref.example.jp,山田 二郎,jinji,Staff\r\n", 9, "duplicate user 'YAMADA@pref.example.jp' (first on line 5)")]
    [InlineData("user,kimura@pref.example.jp,木村,jinji,Boss\r\n", 9, "unknown role 'Boss'")]
    [InlineData("section,kaikei,会計課,no-such-department,\r\n", 9, "unknown department 'no-such-department'")]
    [InlineData("section,Kaikei Ka,会計課,somu,\r\n", 9, "must be a lowercase ASCII slug")]
    [InlineData("user,not-an-email,木村,jinji,Staff\r\n", 9, "is not an email address")]
    [InlineData("team,x,y,,\r\n", 9, "unknown kind 'team'")]
    public async Task A_bad_line_is_named_and_nothing_changes(string badLine, int line, string message)
    {
        await Import(Base);
        var before = await Snapshot();

        var refused = await Assert.ThrowsAsync<FileRejectedException>(() => Import(Base + badLine));

        var error = Assert.Single(refused.Errors);
        Assert.Equal(line, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task Broken_encoding_is_refused_naming_each_line()
    {
        await Import(Base);
        var before = await Snapshot();
        // "課" in Shift_JIS (0x89 0xDB) is not UTF-8: what Excel's plain "CSV" writes on a Japanese Windows.
        var file = Encoding.UTF8.GetBytes(Base).Concat(new byte[] { (byte)'s', (byte)',', 0x89, 0xDB, (byte)'\r', (byte)'\n' })
            .Concat(Encoding.UTF8.GetBytes("user,a@b.jp,x,jinji,Staff\r\n")).Concat(new byte[] { 0x89, 0xDB }).ToArray();

        var refused = await Assert.ThrowsAsync<FileRejectedException>(() => Import(file));

        Assert.Equal([9, 11], refused.Errors.Select(e => e.Line));
        Assert.All(refused.Errors, e => Assert.Contains("not valid UTF-8", e.Message, StringComparison.Ordinal));
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task Every_bad_line_is_named_at_once()
    {
        var refused = await Assert.ThrowsAsync<FileRejectedException>(() => Import(Base +
            "user,kimura@pref.example.jp,木村,nowhere,Staff\r\n" +
            "user,sato@pref.example.jp,佐藤,jinji,Staff\r\n" +
            "user,ito@pref.example.jp,伊藤,jinji,Manager\r\n"));

        Assert.Equal([9, 10, 11], refused.Errors.Select(e => e.Line));
        Assert.Equal(string.Empty, (await Snapshot()).Replace("#", string.Empty, StringComparison.Ordinal).Replace("0", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_file_without_the_importing_admin_is_refused()
    {
        await Import(Base);

        var refused = await Assert.ThrowsAsync<FileRejectedException>(() =>
            Import(Base.Replace("user,admin@pref.example.jp,管理 者,,HqAdmin\r\n", string.Empty, StringComparison.Ordinal)));

        Assert.Contains("lock you out", Assert.Single(refused.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dry_run_reports_and_changes_nothing()
    {
        var before = await Snapshot();

        var result = await Import(Base, dryRun: true);

        Assert.True(result.DryRun);
        Assert.Equal(4, result.Users.Added.Count);
        Assert.Equal(before, await Snapshot());
        Assert.Equal(0, await services.Db(db => db.OutboxMessages.CountAsync()));
    }

    [Fact]
    public async Task The_sample_organisation_imports_from_its_bom_and_crlf_file()
    {
        var result = await Import(SampleFiles.Organisation());

        Assert.True(result.Departments.Added.Count >= 8);
        Assert.True(result.Sections.Added.Count >= 25);
        Assert.All(result.Sections.Added, code => Assert.True(Codes.IsSlug(code), code));
    }
}

public sealed class OrganisationImportTests_Embedded() : OrganisationImportTests(Profile.Embedded);

public sealed class OrganisationImportTests_Production() : OrganisationImportTests(Profile.Production);
