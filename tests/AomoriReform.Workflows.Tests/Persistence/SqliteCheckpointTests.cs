using System.Security.Cryptography;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Persistence;

/// <summary>The embedded database copies its write-ahead log into the database file in the background, not in a commit.</summary>
public sealed class SqliteCheckpointTests
{
    [Fact]
    public async Task Commits_leave_the_log_to_the_background_checkpointer_which_copies_it_into_the_database_file()
    {
        await using var services = await WorkflowServices.CreateAsync(Profile.Embedded);
        var file = Path.Combine(services.Database.DataDirectory!, "aomori-reform.db");
        var settings = await services.Db(async db =>
        {
            // As the host's initializer does; the mode stays with the file.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
            await db.Database.OpenConnectionAsync();
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA wal_autocheckpoint;";
            return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        });
        // Every handle the DbContext uses checkpoints in a commit only past the backstop.
        Assert.Equal(SqliteHandleSettings.AutoCheckpointPages, settings);

        var before = Fingerprint(file);
        await services.ImportSamplesAsync();
        // The import committed (the plan is there) without touching the database file itself.
        Assert.True(await services.Db(db => db.Measures.AnyAsync()));
        Assert.Equal(before, Fingerprint(file));

        var checkpointer = services.Get<SqliteCheckpointer>();
        services.Get<DatabaseState>().MarkReady();
        await checkpointer.StartAsync(CancellationToken.None);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (Fingerprint(file) == before && DateTime.UtcNow < deadline)
            {
                services.Time.Advance(SqliteCheckpointer.Interval);
                await Task.Delay(50);
            }

            Assert.NotEqual(before, Fingerprint(file));
            // Everything in the log is in the file now: nothing is left to copy.
            var result = await checkpointer.CheckpointAsync(CancellationToken.None);
            Assert.True(result.LogFrames > 0);
            Assert.Equal(result.LogFrames, result.CopiedFrames);
        }
        finally
        {
            await checkpointer.StopAsync(CancellationToken.None);
        }
    }

    private static string Fingerprint(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
