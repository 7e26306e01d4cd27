using System.Data.Common;
using System.Runtime.CompilerServices;
using AomoriReform.Workflows.Organisation;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AomoriReform.Workflows.Callers;

/// <summary>
/// Empties <see cref="CallerCache"/> as soon as this host commits a change to a user or a deputy
/// appointment, tracked (SaveChanges: Identity's user store, the imports, the appointments) or in
/// bulk (ExecuteUpdate, ExecuteDelete), so that the next request here reads them anew without
/// waiting for the database's notification (which still tells the other hosts).
/// </summary>
public sealed class CallerChangeInterceptor(CallerCache cache) : DbTransactionInterceptor, ISaveChangesInterceptor, IDbCommandInterceptor
{
    // Contexts that wrote users or appointments inside a transaction not yet committed.
    private readonly ConditionalWeakTable<DbContext, object> pending = [];

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

    public int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Bulk(command, eventData.Context);
        return result;
    }

    public ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Bulk(command, eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    private void Forget(DbContext? context)
    {
        if (context is not null)
        {
            pending.Remove(context);
        }
    }

    private void Track(DbContext? context)
    {
        if (context is not null && context.ChangeTracker.Entries().Any(e => e.Entity is ReformUser or Deputy && e.State is EntityState.Added or EntityState.Modified or EntityState.Deleted))
        {
            pending.AddOrUpdate(context, context);
        }
    }

    private void Flush(DbContext? context)
    {
        // Inside an explicit transaction the change is not visible until it commits.
        if (context is not null && context.Database.CurrentTransaction is null && pending.Remove(context))
        {
            cache.Invalidate();
        }
    }

    // ExecuteUpdate and ExecuteDelete run as commands of their own, with the table in their text.
    private void Bulk(DbCommand command, DbContext? context)
    {
        var text = command.CommandText;
        if (!text.Contains("\"AspNetUsers\"", StringComparison.Ordinal) && !text.Contains("deputies", StringComparison.Ordinal))
        {
            return;
        }

        if (context?.Database.CurrentTransaction is not null)
        {
            pending.AddOrUpdate(context, context);
        }
        else
        {
            cache.Invalidate();
        }
    }

    private void Committed(DbContext? context)
    {
        if (context is not null && pending.Remove(context))
        {
            cache.Invalidate();
        }
    }
}
