using AomoriReform.Workflows.Jobs;
using AomoriReform.Workflows.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace AomoriReform.Tests.Persistence;

/// <summary>The outbox and the consumers' processed-message records stay bounded, and nothing still needed goes.</summary>
public abstract class OutboxRetentionJobTests(Profile profile) : IAsyncLifetime
{
    private static readonly DateTime Now = new(2026, 6, 1, 0, 0, 0, DateTimeKind.Utc);
    private WorkflowServices services = null!;

    public async Task InitializeAsync() => services = await WorkflowServices.CreateAsync(profile, new DateTimeOffset(Now));

    public async Task DisposeAsync() => await services.DisposeAsync();

    [Fact]
    public async Task Old_sent_rows_and_old_processed_records_go_while_anything_recent_or_still_unsent_stays()
    {
        var oldSent = Guid.NewGuid();
        var oldUnsent = Guid.NewGuid();
        var recentSent = Guid.NewGuid();
        await services.Db(async db =>
        {
            OutboxMessage Row(Guid id, int daysAgo, bool sent) => new()
            {
                MessageId = id, MessageType = "AomoriReform.Contracts.Test", Payload = "{}", CreatedAt = Now.AddDays(-daysAgo), SentAt = sent ? Now.AddDays(-daysAgo) : null,
            };
            db.OutboxMessages.AddRange(Row(oldSent, 8, sent: true), Row(oldUnsent, 8, sent: false), Row(recentSent, 1, sent: true));
            db.ProcessedMessages.AddRange(
                new ProcessedMessage { Consumer = "a", MessageId = oldSent, ProcessedAt = Now.AddDays(-8) },
                new ProcessedMessage { Consumer = "b", MessageId = oldSent, ProcessedAt = Now.AddDays(-8) },
                // One consumer took the unsent event long ago; another has not yet: the first must still recognise a repeat.
                new ProcessedMessage { Consumer = "a", MessageId = oldUnsent, ProcessedAt = Now.AddDays(-8) },
                new ProcessedMessage { Consumer = "a", MessageId = recentSent, ProcessedAt = Now.AddDays(-1) });
            return await db.SaveChangesAsync();
        });

        var deleted = await services.Db(db => new OutboxRetentionJob(db, services.Time, Options.Create(new OutboxOptions())).RunAsync(CancellationToken.None));

        Assert.Equal(3, deleted);
        var outbox = await services.Db(db => db.OutboxMessages.Where(m => m.MessageType == "AomoriReform.Contracts.Test").Select(m => m.MessageId).ToListAsync());
        Assert.Equal(new[] { oldUnsent, recentSent }.Order(), outbox.Order());
        var processed = await services.Db(db => db.ProcessedMessages.Select(p => p.MessageId).ToListAsync());
        Assert.Equal(new[] { oldUnsent, recentSent }.Order(), processed.Order());
    }

    [Fact]
    public async Task More_rows_than_a_batch_all_go_in_several_deletes_and_an_unsent_event_keeps_its_records()
    {
        var count = (2 * OutboxRetentionJob.BatchSize) + 5;
        var unsent = Guid.NewGuid();
        await services.Db(async db =>
        {
            for (var i = 0; i < count; i++)
            {
                var id = Guid.NewGuid();
                db.OutboxMessages.Add(new OutboxMessage { MessageId = id, MessageType = "AomoriReform.Contracts.Test", Payload = "{}", CreatedAt = Now.AddDays(-9), SentAt = Now.AddDays(-9).AddSeconds(i) });
                // Two consumers took each event: a batch of messages is more records than a batch.
                db.ProcessedMessages.AddRange(
                    new ProcessedMessage { Consumer = "a", MessageId = id, ProcessedAt = Now.AddDays(-9).AddSeconds(i) },
                    new ProcessedMessage { Consumer = "b", MessageId = id, ProcessedAt = Now.AddDays(-9).AddSeconds(i) });
            }

            db.OutboxMessages.Add(new OutboxMessage { MessageId = unsent, MessageType = "AomoriReform.Contracts.Test", Payload = "{}", CreatedAt = Now.AddDays(-9) });
            db.ProcessedMessages.Add(new ProcessedMessage { Consumer = "a", MessageId = unsent, ProcessedAt = Now.AddDays(-9) });
            return await db.SaveChangesAsync();
        });

        var deleted = await services.Db(db => new OutboxRetentionJob(db, services.Time, Options.Create(new OutboxOptions())).RunAsync(CancellationToken.None));

        Assert.Equal(count * 3, deleted);
        Assert.Equal([unsent], await services.Db(db => db.OutboxMessages.Where(m => m.MessageType == "AomoriReform.Contracts.Test").Select(m => m.MessageId).ToListAsync()));
        Assert.Equal([unsent], await services.Db(db => db.ProcessedMessages.Select(p => p.MessageId).ToListAsync()));
        Assert.Equal(0, await services.Db(db => new OutboxRetentionJob(db, services.Time, Options.Create(new OutboxOptions())).RunAsync(CancellationToken.None)));
    }
}

public sealed class OutboxRetentionJobTests_Embedded() : OutboxRetentionJobTests(Profile.Embedded);

public sealed class OutboxRetentionJobTests_Production() : OutboxRetentionJobTests(Profile.Production);
