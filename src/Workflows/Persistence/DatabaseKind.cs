using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Which database a context talks to, for the paths that run for every action. EF Core's
/// <c>IsNpgsql()</c> compares the provider's name, which it reads from the provider assembly's
/// name on every call (<c>Assembly.GetName</c>): 0.7% of the host's CPU under the approval load,
/// for a fact that never changes. The connection's type says the same for the price of a service
/// look-up; the connection is only created, not opened.
/// </summary>
internal static class DatabaseKind
{
    public static bool OnPostgres(this DatabaseFacade database) => database.GetDbConnection() is NpgsqlConnection;
}
