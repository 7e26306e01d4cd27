using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Outcomes;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.CheckIns;

public abstract class YearlyCheckInJobTests(Profile profile) : IAsyncLifetime
{
    private WorkflowServices services = null!;

    public async Task InitializeAsync()
    {
        // Early in FY2024, the plan's first year: no fiscal year of the plan has ended yet.
        services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(2024, 4, 2, 0, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private Task<OutcomeKind?> Run() => services.In<YearlyCheckInJob, OutcomeKind?>(job => job.RunAsync(CancellationToken.None));

    [Fact]
    public async Task On_1_april_japan_time_it_opens_the_year_just_ended_once_even_when_run_twice_at_once()
    {
        services.Time.SetUtcNow(new DateTimeOffset(2025, 3, 31, 14, 0, 0, TimeSpan.Zero)); // 23:00 on 31 March 2025 in Japan
        Assert.Equal(OutcomeKind.Invalid, await Run()); // FY2023 ended, but the plan starts in FY2024
        Assert.False(await services.Db(db => db.CheckIns.AnyAsync()));

        services.Time.Advance(TimeSpan.FromHours(1.5)); // 00:30 on 1 April 2025 in Japan: FY2024 has just ended
        var results = await Task.WhenAll(Run(), Run());

        Assert.Contains(OutcomeKind.Ok, results.Cast<OutcomeKind>());
        Assert.All(results, r => Assert.True(r is OutcomeKind.Ok or OutcomeKind.Conflict));
        Assert.Single(results, r => r == OutcomeKind.Ok);
        var checkIn = await services.Db(db => db.CheckIns.AsNoTracking().SingleAsync());
        Assert.Equal((2024, new DateOnly(2025, 5, 31)), (checkIn.FiscalYear, checkIn.DueDate));
        Assert.Equal(await services.Db(db => db.Measures.CountAsync()), await services.Db(db => db.ProgressReports.CountAsync()));
    }

    [Fact]
    public async Task A_host_that_was_down_on_1_april_catches_up_and_later_runs_change_nothing()
    {
        services.Time.SetUtcNow(new DateTimeOffset(2025, 4, 9, 3, 0, 0, TimeSpan.Zero));

        Assert.Equal(OutcomeKind.Ok, await Run());
        Assert.Equal(2024, await services.Db(db => db.CheckIns.Select(c => c.FiscalYear).SingleAsync()));
        Assert.Equal(OutcomeKind.Conflict, await Run());
        services.Time.Advance(TimeSpan.FromDays(30));
        Assert.Equal(OutcomeKind.Conflict, await Run());
        Assert.Equal(1, await services.Db(db => db.CheckIns.CountAsync()));
    }

    [Fact]
    public async Task A_year_before_the_plan_is_never_opened()
    {
        services.Time.SetUtcNow(new DateTimeOffset(2024, 12, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(OutcomeKind.Invalid, await Run()); // FY2023 is outside the plan
        services.Time.SetUtcNow(new DateTimeOffset(2025, 3, 31, 14, 59, 0, TimeSpan.Zero)); // 23:59 on 31 March in Japan
        Assert.Equal(OutcomeKind.Invalid, await Run());
        Assert.False(await services.Db(db => db.CheckIns.AnyAsync()));
    }
}

public sealed class YearlyCheckInJobTests_Embedded() : YearlyCheckInJobTests(Profile.Embedded);

public sealed class YearlyCheckInJobTests_Production() : YearlyCheckInJobTests(Profile.Production);
