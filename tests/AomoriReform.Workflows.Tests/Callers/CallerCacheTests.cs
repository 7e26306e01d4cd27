using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace AomoriReform.Tests.Callers;

/// <summary>
/// The callers a host keeps between changes (PostgreSQL): a change reaches it whoever makes it,
/// this host at once and any other process through the database's notification; without the
/// notification feed nothing is kept.
/// </summary>
public sealed class CallerCacheTests : IAsyncLifetime
{
    private WorkflowServices services = null!;
    private CallerChangeFeed? feed;
    private string staffId = null!;
    private CallerCache Cache { get; set; } = null!;

    public async Task InitializeAsync()
    {
        services = await WorkflowServices.CreateAsync(Profile.Production, new DateTimeOffset(2026, 4, 1, 1, 0, 0, TimeSpan.Zero));
        await services.ImportSamplesAsync("user,cache.staff@pref.example.jp,担当 一郎,gyosei-keiei,Staff\r\n");
        Cache = await services.In<CallerCache, CallerCache>(Task.FromResult);
        staffId = await services.Db(db => db.Users.Where(u => u.Email == "cache.staff@pref.example.jp").Select(u => u.Id).SingleAsync());
    }

    public async Task DisposeAsync()
    {
        if (feed is not null)
        {
            await feed.StopAsync(CancellationToken.None);
        }

        await services.DisposeAsync();
    }


    private async Task StartFeedAsync()
    {
        await services.In<DatabaseState, bool>(state =>
        {
            state.MarkReady();
            return Task.FromResult(true);
        });
        feed = await services.In<IEnumerable<IHostedService>, CallerChangeFeed>(hosted => Task.FromResult(hosted.OfType<CallerChangeFeed>().Single()));
        await feed.StartAsync(CancellationToken.None);
        await Eventually.Get(() => Task.FromResult(Cache.IsLive), live => live, because: "the feed to listen");
    }

    private Task<string?> NameAsync() => services.In<CallerResolver, string?>(async callers => (await callers.ResolveAsync(staffId, CancellationToken.None))?.Name);

    // A statement of another process: its own connection, outside this host's DbContext and interceptors.
    private async Task ElsewhereAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(services.Database.PostgresConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("id", staffId);
        await command.ExecuteNonQueryAsync();
    }

    private Task RenameElsewhereAsync(string name) => ElsewhereAsync($"UPDATE \"AspNetUsers\" SET display_name = '{name}' WHERE id = @id");

    // With the trigger off, only this host's own interceptor can say that something changed.
    private Task TriggerAsync(bool enabled) =>
        ElsewhereAsync($"ALTER TABLE \"AspNetUsers\" {(enabled ? "ENABLE" : "DISABLE")} TRIGGER users_callers_changed; SELECT @id");

    [Fact]
    public async Task A_change_made_by_another_process_reaches_the_cache_through_the_database()
    {
        await StartFeedAsync();
        Assert.Equal("担当 一郎", await NameAsync());

        // Kept: a change nobody is told about is not seen (the trigger is off for this one statement).
        await TriggerAsync(enabled: false);
        await RenameElsewhereAsync("黙って 変更");
        await TriggerAsync(enabled: true);
        Assert.Equal("担当 一郎", await NameAsync());

        // Told: the trigger's notification empties the cache, and the next request reads the change.
        await RenameElsewhereAsync("異動 二郎");
        Assert.Equal("異動 二郎", await Eventually.Get(NameAsync, name => name != "担当 一郎", because: "the notification"));
    }

    [Fact]
    public async Task This_hosts_own_commit_empties_the_cache_at_once()
    {
        await StartFeedAsync();
        await TriggerAsync(enabled: false);
        Assert.Equal("担当 一郎", await NameAsync());

        // Tracked, as Identity and the imports write.
        await services.Db(async db =>
        {
            var user = await db.Users.SingleAsync(u => u.Id == staffId);
            user.DisplayName = "追跡 三郎";
            return await db.SaveChangesAsync();
        });
        Assert.Equal("追跡 三郎", await NameAsync());

        // In bulk, inside a transaction: seen once it commits.
        await services.Db(async db =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.Users.Where(u => u.Id == staffId).ExecuteUpdateAsync(u => u.SetProperty(x => x.DisplayName, "一括 四郎"));
            await transaction.CommitAsync();
            return true;
        });
        Assert.Equal("一括 四郎", await NameAsync());

        // A deputy appointment's change too.
        await services.Db(db => db.Deputies.Where(d => d.DeputyId == staffId).ExecuteDeleteAsync());
        Assert.False(Cache.Count > 0, "an appointment's change empties the cache");
    }

    [Fact]
    public async Task What_a_resolution_reads_inside_a_transaction_is_not_kept()
    {
        await StartFeedAsync();
        await services.In<IServiceProvider, bool>(async scope =>
        {
            var db = scope.GetRequiredService<ReformDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.Users.Where(u => u.Id == staffId).ExecuteUpdateAsync(u => u.SetProperty(x => x.DisplayName, "未確定 六郎"));
            var seen = await scope.GetRequiredService<CallerResolver>().ResolveAsync(staffId, CancellationToken.None);
            Assert.Equal("未確定 六郎", seen?.Name);
            await transaction.RollbackAsync();
            return true;
        });

        Assert.Equal("担当 一郎", await NameAsync());
    }

    [Fact]
    public async Task Without_the_feed_every_request_reads_the_database()
    {
        Assert.Equal("担当 一郎", await NameAsync());
        await TriggerAsync(enabled: false);
        await RenameElsewhereAsync("直接 五郎");

        Assert.False(Cache.IsLive);
        Assert.Equal("直接 五郎", await NameAsync());
    }

    [Fact]
    public async Task A_lost_connection_darkens_the_cache_until_the_feed_listens_again()
    {
        await StartFeedAsync();
        Assert.Equal("担当 一郎", await NameAsync());
        Assert.Equal(1, Cache.Count);

        await ElsewhereAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%callers_changed%' AND @id IS NOT NULL");
        await Eventually.Get(() => Task.FromResult(Cache.IsLive), live => !live, because: "the feed to notice");
        Assert.Equal(0, Cache.Count);

        await Eventually.Get(() => Task.FromResult(Cache.IsLive), live => live, because: "the feed to listen again");
        Assert.Equal("担当 一郎", await NameAsync());
        Assert.Equal(1, Cache.Count);
    }

    [Fact]
    public async Task Each_outage_starts_the_feeds_backoff_afresh()
    {
        await StartFeedAsync();
        // Had the failures piled up over the host's life, the fifth reconnection would wait 8 s
        // (0.5, 1, 2, 4, 8); once it listened again each one waits the first step, half a second.
        for (var outage = 1; outage <= 5; outage++)
        {
            await ElsewhereAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '%callers_changed%' AND @id IS NOT NULL");
            await Eventually.Get(() => Task.FromResult(Cache.IsLive), live => !live, because: $"the feed to notice outage {outage}");
            await Eventually.Get(() => Task.FromResult(Cache.IsLive), live => live, TimeSpan.FromSeconds(6), because: $"the feed to listen again after outage {outage} within its first backoff step");
        }
    }

    [Fact]
    public void A_resolution_that_read_before_a_change_does_not_keep_what_it_read()
    {
        var cache = new CallerCache();
        cache.SetLive(true);
        var today = new DateOnly(2026, 4, 1);
        var caller = new Caller("u", "名前", AomoriReform.Workflows.Organisation.Role.Staff, "s", "d", []);

        var seen = cache.Generation;
        cache.Invalidate();
        cache.Store("u", today, seen, caller, "stamp");
        Assert.False(cache.TryGet("u", today, out _));

        cache.Store("u", today, cache.Generation, caller, "stamp");
        Assert.True(cache.TryGet("u", today, out var found));
        Assert.Equal((caller, "stamp"), found);
        Assert.False(cache.TryGet("u", today.AddDays(1), out _), "an appointment is for days: the date is in the key");

        cache.SetLive(false);
        Assert.False(cache.TryGet("u", today, out _));
    }
}
