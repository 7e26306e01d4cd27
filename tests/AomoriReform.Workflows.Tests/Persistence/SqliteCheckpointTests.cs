using System.Security.Cryptography;
using AomoriReform.Workflows.Persistence;
using Microsoft.Data.Sqlite;
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
            Assert.False(result.Blocked);
            Assert.True(result.LogFrames > 0);
            Assert.Equal(result.LogFrames, result.CopiedFrames);

            // The next commit starts the log over: it writes from its first frame, not after the import's.
            await services.Db(db => db.Database.ExecuteSqlRawAsync("UPDATE measures SET title = title || ' ' WHERE code = (SELECT MIN(code) FROM measures)"));
            await using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.InRange(reader.GetInt32(1), 1, result.LogFrames - 1);
        }
        finally
        {
            await checkpointer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task The_checkpoint_finishes_while_no_writer_holds_the_database()
    {
        await using var services = await WorkflowServices.CreateAsync(Profile.Embedded);
        await services.Db(db => db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;"));
        await services.ImportSamplesAsync();
        var checkpointer = services.Get<SqliteCheckpointer>();
        await services.Db(async db =>
        {
            await using var writing = await db.Database.BeginTransactionAsync();
            await db.Database.ExecuteSqlRawAsync("UPDATE measures SET title = title || ' ' WHERE code = (SELECT MIN(code) FROM measures)");
            var checkpoint = checkpointer.CheckpointAsync(CancellationToken.None);
            await Task.Delay(300);
            // It waits for the writer's gate instead of copying beside an open write.
            Assert.False(checkpoint.IsCompleted);
            await writing.CommitAsync();
            var result = await checkpoint.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(result.Blocked);
            Assert.Equal(result.LogFrames, result.CopiedFrames);
            return true;
        });
    }

    private static string Fingerprint(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
