using System.Data.Common;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace AomoriReform.Workflows.Callers;

/// <summary>
/// Empties <see cref="CallerCache"/> as soon as this host commits a change to a user or a deputy
/// appointment, tracked (SaveChanges: Identity's user store, the imports, the appointments) or in
/// bulk (ExecuteUpdate, ExecuteDelete), so that the next request here reads them anew without
/// waiting for the database's notification (which still tells the other hosts).
/// </summary>
public sealed class CallerChangeInterceptor(CallerCache cache) : CommitWatchInterceptor, IDbCommandInterceptor
{
    protected override bool Watches(Type entityType, bool added) => typeof(ReformUser).IsAssignableFrom(entityType) || typeof(Deputy).IsAssignableFrom(entityType);

    protected override void Committed() => cache.Invalidate();

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

    // ExecuteUpdate and ExecuteDelete run as commands of their own, with the table in their text.
    private void Bulk(DbCommand command, DbContext? context)
    {
        var text = command.CommandText;
        if (text.Contains("\"AspNetUsers\"", StringComparison.Ordinal) || text.Contains("deputies", StringComparison.Ordinal))
        {
            Wrote(context);
        }
    }
}
