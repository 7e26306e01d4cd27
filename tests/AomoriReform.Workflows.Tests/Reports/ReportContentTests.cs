using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// A report's content is compared by reference first when changes are detected (it is an immutable record,
/// replaced, never changed in place): new content, even equal in every field but one, must still be stored,
/// and an action that brings none must leave the stored content as it was.
/// </summary>
public sealed class ReportContentTests
{
    [Theory]
    [InlineData(Profile.Embedded)]
    [InlineData(Profile.Production)]
    public async Task Saved_content_is_stored_and_an_action_without_content_keeps_it(Profile profile)
    {
        await using var services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        var id = await services.OpenSampleReportAsync(
            "user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,行政経営管理課長 三郎,gyosei-keiei,SectionChief\r\n");
        var staff = await services.CallerAsync("staff@pref.example.jp");

        var first = new ReportContent(Progress.OnTrack, "実績の記述", "次の取組", []);
        var saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, 1, first, staff, null, CancellationToken.None)).OkAsync();
        // The same content but for one field, saved again: a new instance, so it must be compared by value.
        var second = first with { NextSteps = "次の取組(改)" };
        saved = await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.SaveAsync(id, saved.Version, second, staff, null, CancellationToken.None)).OkAsync();
        Assert.Equal((Progress.OnTrack, "実績の記述", "次の取組(改)"), await StoredAsync(services, id));

        await services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, ReportAction.Submit, saved.Version, null, staff, null, CancellationToken.None)).OkAsync();
        Assert.Equal((Progress.OnTrack, "実績の記述", "次の取組(改)"), await StoredAsync(services, id));
        var submitted = await services.Db(db => db.ReportSubmissions.AsNoTracking().Where(s => s.ReportId == id).Select(s => s.Content).SingleAsync());
        Assert.Equal("次の取組(改)", submitted.NextSteps);
    }

    private static async Task<(Progress?, string?, string?)> StoredAsync(WorkflowServices services, Guid id)
    {
        var content = await services.Db(db => db.ProgressReports.AsNoTracking().Where(r => r.Id == id).Select(r => r.Content).SingleAsync());
        return (content.Progress, content.Achievements, content.NextSteps);
    }
}
