using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Reports;

/// <summary>
/// The replies kept for Idempotency-Key retries: a retry inside the period gets the same answer;
/// the daily job deletes them after <c>Reports:IdempotencyDays</c>, and the same key then acts anew
/// (a stale version: 409), on both profiles.
/// </summary>
public abstract class IdempotencyRetentionTests(Profile profile) : IAsyncLifetime
{
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync("user,staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n");
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, new DateOnly(2026, 5, 29)), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task A_retry_inside_the_period_gets_the_same_answer_and_after_it_the_key_acts_anew()
    {
        var id = await services.Db(db => db.ProgressReports.Where(r => r.SectionCode == "gyosei-keiei" && r.RouteName == "progress-report").OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        var userId = await services.Db(db => db.Users.Where(u => u.Email == "staff@pref.example.jp").Select(u => u.Id).SingleAsync());
        var staff = (await services.In<CallerResolver, Caller?>(callers => callers.ResolveAsync(userId, CancellationToken.None)))!;
        Task<Outcome<ReportView>> Submit() => services.In<ReportWorkflow, Outcome<ReportView>>(w => w.ActAsync(id, ReportAction.Submit, 1, null, staff, "retry-me", CancellationToken.None));
        Task<int> Sweep() => services.In<IdempotencyRetentionJob, int>(job => job.RunAsync(CancellationToken.None));

        var first = await Submit().OkAsync();
        services.Time.Advance(TimeSpan.FromDays(6));
        Assert.Equal(0, await Sweep());
        Assert.Equal(first.Version, (await Submit().OkAsync()).Version);

        services.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await Sweep());
        Assert.Equal(0, await services.Db(db => db.IdempotencyRecords.CountAsync()));
        Assert.Equal(OutcomeKind.Conflict, (await Submit()).Kind);
        Assert.Equal(2, await services.Db(db => db.JournalEntries.CountAsync(e => e.ReportId == id)));
    }
}

public sealed class IdempotencyRetentionTests_Embedded() : IdempotencyRetentionTests(Profile.Embedded);

public sealed class IdempotencyRetentionTests_Production() : IdempotencyRetentionTests(Profile.Production);
