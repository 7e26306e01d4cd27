using System.Text;
using AomoriReform.Workflows.Demo;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Plan;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Plan;

public abstract class PlanImportTests(Profile profile) : IAsyncLifetime
{
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile);
        await services.In<OrganisationImport, Outcome<OrganisationImportResult>>(import =>
            import.ImportAsync(SampleFiles.Organisation(), "system", dryRun: false, CancellationToken.None));
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private Task<PlanImportResult> Import(byte[] file, PlanFileFormat format, bool dryRun = false) =>
        services.In<PlanImport, Outcome<PlanImportResult>>(import => import.ImportAsync(file, format, "hq.admin", dryRun, CancellationToken.None)).ImportedAsync();

    private Task<PlanImportResult> ImportYaml(string yaml) => Import(Encoding.UTF8.GetBytes(yaml), PlanFileFormat.Yaml);

    private Task<PlanImportResult> ImportSample() => Import(SampleFiles.Plan(), PlanFileFormat.Yaml);

    private Task<string> Snapshot() => services.Db(async db =>
        string.Join("|", (await db.Measures.AsNoTracking().ToListAsync()).OrderBy(m => m.Code, StringComparer.Ordinal)
            .Select(m => $"{m.Code}:{m.Title}:{m.ItemCode}:{m.OwnerSectionCode}:{m.RouteName}:{string.Join(",", m.Indicators.SelectMany(i => i.Targets.Select(t => $"{i.Code}/{t.Key}={t.Value}")))}"))
        + "#" + await db.PlanItems.CountAsync() + "#" + await db.OutboxMessages.CountAsync());

    [Fact]
    public async Task The_sample_plan_has_5_viewpoints_13_areas_35_items_and_measures_on_every_item()
    {
        var result = await ImportSample();

        Assert.Equal(5 + 13 + 35, result.Outline.Added.Count);
        var plan = await services.In<PlanView, Outcome<PlanResponse>>(view => view.GetAsync(CancellationToken.None)).OkAsync();
        Assert.Equal((2024, 2028), (plan.FromFiscalYear, plan.ToFiscalYear));
        Assert.Equal(5, plan.Viewpoints.Count);
        Assert.Equal(13, plan.Viewpoints.Sum(v => v.Areas.Count));
        var items = plan.Viewpoints.SelectMany(v => v.Areas).SelectMany(a => a.Items).ToList();
        Assert.Equal(35, items.Count);
        Assert.All(items, item => Assert.InRange(item.Measures.Count, 2, 4));
        Assert.Equal("行政手続のオンライン化", items.Single(i => i.Code == "2.1.1").Title);
        var measures = items.SelectMany(i => i.Measures).ToList();
        Assert.All(measures, m => Assert.False(string.IsNullOrEmpty(m.OwnerDepartmentCode)));
        Assert.All(measures, m => Assert.NotEmpty(m.Indicators));
        Assert.Contains(measures, m => m.Route == "progress-report-with-head");
        Assert.Contains(measures, m => m.Route == "progress-report-consult");
    }

    [Fact]
    public async Task Importing_the_same_file_again_changes_nothing()
    {
        var first = await ImportSample();
        var before = await Snapshot();

        var again = await ImportSample();

        Assert.Empty(again.Measures.Added);
        Assert.Empty(again.Measures.Changed);
        Assert.Equal(first.Measures.Added.Count, again.Measures.Unchanged.Count);
        Assert.Empty(again.Outline.Changed);
        Assert.Equal(before.Split('#')[0], (await Snapshot()).Split('#')[0]);
    }

    [Fact]
    public async Task A_reimport_reports_what_it_added_and_changed()
    {
        await ImportSample();

        var result = await ImportYaml("""
            measures:
              - code: "2.1.1-01"
                item: "2.1.1"
                title: 行政手続のオンライン化（改訂）
                section: digital-senryaku
              - code: "2.1.1-99"
                item: "2.1.1"
                title: 新しい取組
                section: digital-senryaku
                route: progress-report-with-head
                approvalClass: department-head
                retention: 常用
                budget: 120,000,000
                indicators:
                  - code: "1"
                    title: 件数
                    unit: 件
                    targets: { 2025: 1.5, 2028: 10 }
            """);

        Assert.Equal(["2.1.1-99"], result.Measures.Added);
        Assert.Equal(["2.1.1-01"], result.Measures.Changed);
        var added = await services.Db(db => db.Measures.AsNoTracking().SingleAsync(m => m.Code == "2.1.1-99"));
        Assert.Equal(("progress-report-with-head", "department-head", 120_000_000L, "常用"), (added.RouteName, added.ApprovalClass, added.Budget, added.RetentionClass));
        Assert.Equal(1.5m, added.Indicators.Single().Targets[2025]);
    }

    [Theory]
    [InlineData("item: \"9.9.9\"", "section: gyosei-keiei", 2, "unknown item code '9.9.9'")]
    [InlineData("item: \"1.1.1\"", "section: no-such-section", 2, "unknown section 'no-such-section'")]
    [InlineData("item: \"1.1.1\"", "section: gyosei-keiei\n    route: no-such-route", 2, "unknown route 'no-such-route'")]
    [InlineData("item: \"1.1.1\"", "section: gyosei-keiei\n    budget: 1.5e8", 6, "budget '1.5e8' is not an amount of yen")]
    [InlineData("item: \"1.1.1\"", "section: gyosei-keiei\n    retention: 7", 2, "retention '7' must be one of 1, 3, 5, 10, 30, 常用")]
    [InlineData("item: \"1.1.1\"", "section: gyosei-keiei\n    approvalClass: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 2, "at most 64 characters")]
    [InlineData("item: \"1.1.1\"", "section: gyosei-keiei\n    indicators:\n      - code: \"1\"\n        title: t\n        unit: 件\n        targets: { 2023: 1 }", 10, "target for 2023 is outside the plan period FY2024-FY2028")]
    public async Task A_bad_measure_is_named_by_line_and_nothing_is_imported(string item, string section, int line, string message)
    {
        await ImportSample();
        var before = await Snapshot();

        var refused = await Assert.ThrowsAsync<FileRejectedException>(() => ImportYaml($"measures:\n  - code: \"X-01\"\n    {item}\n    title: 取組\n    {section}\n"));

        var error = Assert.Single(refused.Errors);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task A_duplicate_measure_code_is_refused_naming_both_lines()
    {
        await ImportSample();
        var before = await Snapshot();
        var measure = "  - code: \"1.1.1-01\"\n    item: \"1.1.1\"\n    title: 取組\n    section: gyosei-keiei\n";

        var refused = await Assert.ThrowsAsync<FileRejectedException>(() => ImportYaml("measures:\n" + measure + measure));

        var error = Assert.Single(refused.Errors);
        Assert.Equal((6, "duplicate measure code '1.1.1-01' (first on line 2)"), (error.Line, error.Message));
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task Broken_encoding_and_broken_yaml_are_refused_with_their_line()
    {
        await ImportSample();
        var before = await Snapshot();
        var shiftJis = Encoding.UTF8.GetBytes("measures:\n  - code: \"1\"\n").Concat(new byte[] { 0x20, 0x20, 0x89, 0xDB, (byte)'\n' }).ToArray();

        var encoding = await Assert.ThrowsAsync<FileRejectedException>(() => Import(shiftJis, PlanFileFormat.Yaml));
        var syntax = await Assert.ThrowsAsync<FileRejectedException>(() => ImportYaml("measures:\n  - code: \"1\n    item: [\n"));

        Assert.Equal(3, Assert.Single(encoding.Errors).Line);
        Assert.Contains("is not valid YAML", Assert.Single(syntax.Errors).Message, StringComparison.Ordinal);
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task The_first_import_must_carry_the_outline()
    {
        var before = await Snapshot();

        var refused = await Assert.ThrowsAsync<FileRejectedException>(() => ImportYaml("measures: []\n"));

        Assert.Contains("there is no plan yet", refused.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task The_csv_export_imports_back_unchanged_and_an_edit_in_it_is_a_change()
    {
        await ImportSample();
        var csv = await services.In<PlanView, Outcome<byte[]>>(view => view.ExportCsvAsync(CancellationToken.None)).OkAsync();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, csv[..3]);

        var roundTrip = await Import(csv, PlanFileFormat.Csv);
        Assert.Empty(roundTrip.Measures.Changed);
        Assert.Empty(roundTrip.Measures.Added);

        var text = Encoding.UTF8.GetString(csv);
        var line = text.Split("\r\n").First(l => l.StartsWith("2.1.1,2.1.1-01,", StringComparison.Ordinal));
        var edited = string.Join(',', line.Split(',')[..^1]) + ",999";
        var result = await Import(Encoding.UTF8.GetBytes(text.Replace(line, edited, StringComparison.Ordinal)), PlanFileFormat.Csv);

        Assert.Equal(["2.1.1-01"], result.Measures.Changed);
        var measure = await services.Db(db => db.Measures.AsNoTracking().SingleAsync(m => m.Code == "2.1.1-01"));
        Assert.Equal(999m, measure.Indicators.First().Targets[2028]);
    }

    [Fact]
    public async Task Csv_refusals_name_every_bad_line()
    {
        await ImportSample();
        var before = await Snapshot();
        var csv = "item_code,measure_code,measure_title,section_code,route,indicator_code,indicator_title,unit,FY2024,FY2029\r\n" +
            "1.1.1,A-01,取組A,gyosei-keiei,,1,件数,件,1,\r\n" +        // 2: fine
            "9.9.9,B-01,取組B,gyosei-keiei,,1,件数,件,1,\r\n" +        // 3: unknown item
            "1.1.1,C-01,取組C,nowhere,,1,件数,件,1,\r\n" +             // 4: unknown section
            "1.1.1,A-01,取組A,gyosei-keiei,,2,件数,件,1,\r\n" +        // 5: A-01 again, not consecutive
            "1.1.1,D-01,取組D,gyosei-keiei,,1,件数,件,1,5\r\n" +       // 6: FY2029 is outside the plan
            "1.1.1,E-01,\"取組E, 複数行\",gyosei-keiei,,1,件数,件,abc,\r\n"; // 7: not a number

        var refused = await Assert.ThrowsAsync<FileRejectedException>(() => Import(Encoding.UTF8.GetBytes(csv), PlanFileFormat.Csv));

        Assert.Equal([3, 4, 5, 6, 7], refused.Errors.Select(e => e.Line));
        Assert.Contains("unknown item code '9.9.9'", refused.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("unknown section 'nowhere'", refused.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("duplicate measure code 'A-01' (first on line 2", refused.Errors[2].Message, StringComparison.Ordinal);
        Assert.Contains("target for 2029 is outside the plan period", refused.Errors[3].Message, StringComparison.Ordinal);
        Assert.Contains("'abc' is not a number", refused.Errors[4].Message, StringComparison.Ordinal);
        Assert.Equal(before, await Snapshot());
    }

    [Fact]
    public async Task A_dry_run_reports_and_changes_nothing()
    {
        var before = await Snapshot();

        var result = await Import(SampleFiles.Plan(), PlanFileFormat.Yaml, dryRun: true);

        Assert.True(result.DryRun);
        Assert.True(result.Measures.Added.Count >= 70);
        Assert.Equal(before, await Snapshot());
        Assert.False(await services.Db(db => db.Plans.AnyAsync()));
    }
}

public sealed class PlanImportTests_Embedded() : PlanImportTests(Profile.Embedded);

public sealed class PlanImportTests_Production() : PlanImportTests(Profile.Production);
