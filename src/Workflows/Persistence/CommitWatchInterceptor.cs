using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Calls <see cref="Committed"/> once a unit of work that wrote what a subclass watches has
/// committed: right after SaveChanges, or inside an explicit transaction when it commits (never
/// for a rollback). A subclass says what it watches in <see cref="Writes"/>, looked at as
/// SaveChanges begins, and reports writes of its own finding (bulk statements) with <see cref="Wrote"/>.
/// </summary>
public abstract class CommitWatchInterceptor : DbTransactionInterceptor, ISaveChangesInterceptor
{
    // Contexts whose watched writes wait for their transaction to commit.
    private readonly ConditionalWeakTable<DbContext, object> pending = [];

    /// <summary>Whether a row of this entity type, new (<paramref name="added"/>) or changed or deleted, is what is watched.</summary>
    protected abstract bool Watches(Type entityType, bool added);

    /// <summary>Whether the changes this context is about to save include what is watched.</summary>
    private bool Writes(DbContext context) =>
        context.ChangeTracker.Entries().Any(e => e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted && Watches(e.Metadata.ClrType, e.State == EntityState.Added));

    /// <summary>A watched write committed.</summary>
    protected abstract void Committed();

    /// <summary>A watched write outside SaveChanges: committed now, or when the context's transaction commits.</summary>
    protected void Wrote(DbContext? context)
    {
        if (context?.Database.CurrentTransaction is not null)
        {
            pending.AddOrUpdate(context, context);
        }
        else
        {
            Committed();
        }
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Track(eventData.Context);
        return result;
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Track(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Flush(eventData.Context);
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Flush(eventData.Context);
        return ValueTask.FromResult(result);
    }

    // A SaveChanges that failed or was cancelled outside a transaction wrote nothing; inside one, what the
    // transaction wrote before may still commit, so the context stays tracked until it ends.
    public void SaveChangesFailed(DbContextErrorEventData eventData) => ForgetUnlessInTransaction(eventData.Context);

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        ForgetUnlessInTransaction(eventData.Context);
        return Task.CompletedTask;
    }

    public void SaveChangesCanceled(DbContextEventData eventData) => ForgetUnlessInTransaction(eventData.Context);

    public Task SaveChangesCanceledAsync(DbContextEventData eventData, CancellationToken cancellationToken = default)
    {
        ForgetUnlessInTransaction(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => FlushCommitted(eventData.Context);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        FlushCommitted(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    /// <summary><see cref="ChangeBatch"/> is about to write the context's tracked changes and these untracked rows (as SavingChanges).</summary>
    internal void Saving(DbContext context, IReadOnlyCollection<ChangeBatch.Row> rows)
    {
        if (rows.Any(row => Watches(row.Type.ClrType, row.Added)) || Writes(context))
        {
            pending.AddOrUpdate(context, context);
        }
    }

    /// <summary><see cref="ChangeBatch"/> wrote them (as SavedChanges): committed now, or when the context's transaction commits.</summary>
    internal void Saved(DbContext context) => Flush(context);

    /// <summary><see cref="ChangeBatch"/> failed: nothing it wrote will commit.</summary>
    internal void Failed(DbContext context) => Forget(context);

    private void Track(DbContext? context)
    {
        if (context is not null && Writes(context))
        {
            pending.AddOrUpdate(context, context);
        }
    }

    private void Flush(DbContext? context)
    {
        // Inside an explicit transaction the write is not visible until it commits.
        if (context is not null && context.Database.CurrentTransaction is null && pending.Remove(context))
        {
            Committed();
        }
    }

    private void FlushCommitted(DbContext? context)
    {
        if (context is not null && pending.Remove(context))
        {
            Committed();
        }
    }

    private void ForgetUnlessInTransaction(DbContext? context)
    {
        if (context?.Database.CurrentTransaction is null)
        {
            Forget(context);
        }
    }

    private void Forget(DbContext? context)
    {
        if (context is not null)
        {
            pending.Remove(context);
        }
    }
}
