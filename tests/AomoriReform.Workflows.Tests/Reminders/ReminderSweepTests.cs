using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reminders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Tests.Reminders;

public abstract class ReminderSweepTests(Profile profile) : IAsyncLifetime
{
    private static readonly DateOnly Due = new(2026, 5, 29);
    private WorkflowServices services = null!;

    // What the sweep paces itself by: none (no bus) unless a test says otherwise.
    private OutboxPace pace = OutboxPace.Off;
    private readonly WarningLog warnings = new();

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(profile, configure: s =>
        {
            s.AddTransient(_ => pace);
            s.AddSingleton<ILoggerProvider>(warnings);
        });
        await services.ImportSamplesAsync(
            "user,staff1@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n" +
            "user,staff2@pref.example.jp,担当 二郎,gyosei-keiei,Staff\r\n" +
            "user,chief@pref.example.jp,課長 三郎,gyosei-keiei,SectionChief\r\n" +
            "user,hq@pref.example.jp,本部 四郎,,HqReviewer\r\n");
        services.Time.SetUtcNow(new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.In<CheckInOpener, Outcome<CheckInView>>(opener =>
            opener.OpenAsync(new CheckInRequest(2025, Due), "system", "system", CancellationToken.None)).OkAsync();
    }

    public async Task DisposeAsync() => await services.DisposeAsync();

    private Task<int> Sweep() => services.In<ReminderSweep, int>(sweep => sweep.RunAsync(CancellationToken.None));

    [Fact]
    public async Task Across_a_week_with_three_days_of_downtime_every_reminder_and_escalation_goes_out_exactly_once()
    {
        var tasks = await services.Db(db => db.WorkTasks.CountAsync());
        // Daily at 10:00 in Japan from 15 days before the due date to 9 days after; down for the
        // three days around the 7-days-before reminder; twice at once on the due date.
        for (var day = Due.AddDays(-15); day <= Due.AddDays(9); day = day.AddDays(1))
        {
            if (day >= Due.AddDays(-8) && day <= Due.AddDays(-6))
            {
                continue;
            }

            services.Time.SetUtcNow(new DateTimeOffset(day.ToDateTime(new TimeOnly(1, 0)), TimeSpan.Zero));
            if (day == Due)
            {
                await Task.WhenAll(Sweep(), Sweep());
            }
            else
            {
                await Sweep();
            }
        }

        var sent = await services.Db(db => db.SentReminders.AsNoTracking().ToListAsync());
        Assert.Equal(tasks * 5, sent.Count);
        Assert.All(sent.GroupBy(s => s.TaskId), perTask => Assert.Equal(
            ["Escalation:1", "Escalation:2", "Reminder:1", "Reminder:14", "Reminder:7"],
            perTask.Select(s => $"{s.Kind}:{s.Key}").Order(StringComparer.Ordinal)));
        var staff1 = await services.Db(db => db.Users.Where(u => u.Email == "staff1@pref.example.jp").Select(u => u.Id).SingleAsync());
        var gyoseiTasks = await services.Db(db => db.ProgressReports.CountAsync(r => r.SectionCode == "gyosei-keiei"));
        var forStaff = await services.Db(db => db.Notifications.AsNoTracking().Where(n => n.UserId == staff1).ToListAsync());
        Assert.Equal(gyoseiTasks * 3, forStaff.Count(n => n.Kind == NotificationKind.Reminder));
        Assert.Contains(forStaff, n => n.Text.Contains("令和7年度", StringComparison.Ordinal) && n.Text.Contains("あと7日", StringComparison.Ordinal));
        var chief = await services.Db(db => db.Users.Where(u => u.Email == "chief@pref.example.jp").Select(u => u.Id).SingleAsync());
        Assert.Equal(gyoseiTasks, await services.Db(db => db.Notifications.CountAsync(n => n.UserId == chief && n.Kind == NotificationKind.Escalation)));
        var hq = await services.Db(db => db.Users.Where(u => u.Email == "hq@pref.example.jp").Select(u => u.Id).SingleAsync());
        Assert.Equal(tasks, await services.Db(db => db.Notifications.CountAsync(n => n.UserId == hq && n.Kind == NotificationKind.Escalation)));
        Assert.Equal(tasks * 5, await services.Db(Reminders));
    }

    [Fact]
    public async Task A_clock_that_jumps_a_week_forward_and_then_an_hour_back_sends_each_reminder_once()
    {
        var tasks = await services.Db(db => db.WorkTasks.CountAsync());
        // 10:00 in Japan 14 days before the due date: that reminder.
        var at = new DateTimeOffset(Due.AddDays(-14).ToDateTime(new TimeOnly(1, 0)), TimeSpan.Zero);
        services.Time.SetUtcNow(at);
        Assert.Equal(tasks, await Sweep());

        // A week forward in one jump: the 7-days-before reminder, once.
        services.Time.SetUtcNow(at.AddDays(7));
        Assert.Equal(tasks, await Sweep());

        // An hour back (a corrected clock): nothing is sent again, nothing new is due.
        services.Time.AdjustTime(at.AddDays(7).AddHours(-1));
        Assert.Equal(0, await Sweep());

        // Forward past the due date: the rest, once.
        services.Time.SetUtcNow(new DateTimeOffset(Due.AddDays(9).ToDateTime(new TimeOnly(1, 0)), TimeSpan.Zero));
        Assert.Equal(tasks * 3, await Sweep());
        services.Time.AdjustTime(new DateTimeOffset(Due.AddDays(9).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));
        Assert.Equal(0, await Sweep());
        Assert.Equal(tasks * 5, await services.Db(db => db.SentReminders.CountAsync()));
    }

    [Fact]
    public async Task Three_sweeps_at_once_after_the_deadline_send_every_reminder_once_in_batches()
    {
        var tasks = await services.Db(db => db.WorkTasks.CountAsync());
        // Nine days after the due date every task owes all five; more than a batch of them.
        services.Time.SetUtcNow(new DateTimeOffset(Due.AddDays(9).ToDateTime(new TimeOnly(1, 0)), TimeSpan.Zero));
        Assert.True(tasks * 5 > ReminderSweep.BatchSize, $"{tasks * 5} reminders fit in one batch");

        var sent = await Task.WhenAll(Sweep(), Sweep(), Sweep());

        Assert.Equal(tasks * 5, sent.Sum());
        Assert.Equal(tasks * 5, await services.Db(db => db.SentReminders.CountAsync()));
        Assert.Equal(tasks * 5, await services.Db(Reminders));
        Assert.Equal(0, await services.Db(db => db.Notifications.GroupBy(n => new { n.UserId, n.ReportId, n.Text }).CountAsync(g => g.Count() > 1)));
        var hq = await services.Db(db => db.Users.Where(u => u.Email == "hq@pref.example.jp").Select(u => u.Id).SingleAsync());
        Assert.Equal(tasks, await services.Db(db => db.Notifications.CountAsync(n => n.UserId == hq && n.Kind == NotificationKind.Escalation)));
        Assert.Equal(0, await Sweep());
    }

    [Fact]
    public async Task With_a_dispatcher_the_sweep_writes_its_next_batch_only_once_the_dispatcher_has_caught_up()
    {
        pace = new OutboxPace(TimeSpan.FromMinutes(1));
        var tasks = await services.Db(db => db.WorkTasks.CountAsync());
        services.Time.SetUtcNow(new DateTimeOffset(Due.AddDays(9).ToDateTime(new TimeOnly(1, 0)), TimeSpan.Zero));
        Assert.True(tasks * 5 > 2 * ReminderSweep.BatchSize, $"{tasks * 5} reminders fit in two batches");
        await services.Db(MarkSent); // the check-in's events

        var sweep = Sweep();
        var written = 0;
        for (var waited = 0; written < ReminderSweep.BatchSize && waited < 600; waited++)
        {
            await Task.Delay(50);
            written = await services.Db(Reminders);
        }

        // The first batch is written; the sweep holds the second back while nobody sends the first.
        Assert.Equal(ReminderSweep.BatchSize, written);
        await Task.Delay(500);
        Assert.Equal(ReminderSweep.BatchSize, await services.Db(Reminders));
        Assert.False(sweep.IsCompleted);

        // This test now acts as the dispatcher, sending all there is each round: the sweep writes one
        // batch after each round, never two.
        var rounds = 0;
        while (!sweep.IsCompleted)
        {
            var unsent = await services.Db(MarkSent);
            Assert.InRange(unsent, 0, ReminderSweep.BatchSize);
            rounds++;
            await Task.Delay(20);
        }

        Assert.Equal(tasks * 5, await sweep);
        Assert.Equal(tasks * 5, await services.Db(db => db.SentReminders.CountAsync()));
        Assert.Equal(tasks * 5, await services.Db(Reminders));
        Assert.True(rounds > 1, $"the sweep was done after {rounds} round(s) of sending");
    }

    [Fact]
    public async Task With_no_dispatcher_draining_the_sweep_stops_pacing_after_the_limit_and_still_sends_everything()
    {
        pace = new OutboxPace(TimeSpan.FromMilliseconds(300));
        var tasks = await services.Db(db => db.WorkTasks.CountAsync());
        services.Time.SetUtcNow(new DateTimeOffset(Due.AddDays(9).ToDateTime(new TimeOnly(1, 0)), TimeSpan.Zero));

        var sweep = Sweep();
        await Task.WhenAny(sweep, Task.Delay(TimeSpan.FromMinutes(1)));

        Assert.True(sweep.IsCompleted, "the sweep still waits for a dispatcher that is not there");
        Assert.Equal(tasks * 5, await sweep);
        // It gave up pacing at its first wait, nothing having been sent, and said so once.
        var batches = (tasks * 5 + ReminderSweep.BatchSize - 1) / ReminderSweep.BatchSize;
        Assert.Equal([$"Reminder sweep: no outbox event was sent within Outbox:PaceLimit (no dispatcher running?); the remaining {batches - 1} batch(es) go without pacing"], warnings.Messages);
        Assert.Equal(tasks * 5, await services.Db(db => ReminderEvents(db).CountAsync(m => m.SentAt == null)));
    }

    /// <summary>The warnings the services log.</summary>
    private sealed class WarningLog : ILoggerProvider, ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> messages = new();

        public IReadOnlyList<string> Messages => [.. messages];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                messages.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }

    private static IQueryable<OutboxMessage> ReminderEvents(ReformDbContext db) =>
        db.OutboxMessages.Where(m => m.MessageType.StartsWith("AomoriReform.Contracts.Reminders."));

    private static Task<int> Reminders(ReformDbContext db) => ReminderEvents(db).CountAsync();

    private static Task<int> MarkSent(ReformDbContext db) =>
        db.OutboxMessages.Where(m => m.SentAt == null).ExecuteUpdateAsync(u => u.SetProperty(m => m.SentAt, DateTime.UtcNow));

    [Fact]
    public async Task Nothing_goes_out_before_its_time_and_a_second_sweep_sends_nothing_new()
    {
        services.Time.SetUtcNow(new DateTimeOffset(Due.AddDays(-15).ToDateTime(new TimeOnly(1, 0)), TimeSpan.Zero));
        Assert.Equal(0, await Sweep());

        services.Time.SetUtcNow(new DateTimeOffset(Due.AddDays(-14).ToDateTime(new TimeOnly(0, 30)), TimeSpan.Zero)); // 09:30 in Japan
        var first = await Sweep();
        var second = await Sweep();

        Assert.Equal(await services.Db(db => db.WorkTasks.CountAsync()), first);
        Assert.Equal(0, second);
    }
}

public sealed class ReminderSweepTests_Embedded() : ReminderSweepTests(Profile.Embedded);

public sealed class ReminderSweepTests_Production() : ReminderSweepTests(Profile.Production);
