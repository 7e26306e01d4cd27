using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// Tells a failure of the storage itself (the database restarting or unreachable, the embedded
/// database's disk full or locked past its timeout) from a fault in the request or in our code.
/// The host answers the first with 503 and Retry-After: nothing of the action was written (its
/// transaction did not commit, or, if the commit's answer was lost, a repeat with the same
/// Idempotency-Key returns the recorded outcome), and the client may try again.
/// </summary>
public static class StorageOutage
{
    /// <summary>Seconds a client is asked to wait before it tries again.</summary>
    public const int RetryAfterSeconds = 5;

    // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN.
    private static readonly HashSet<int> SqliteOutages = [5, 6, 10, 13, 14];

    // ENOSPC and EDQUOT as .NET reports them on Linux (HResult of an IOException).
    private static readonly HashSet<int> DiskFull = [28, 122, unchecked((int)0x80070070)];

    public static bool Is(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NpgsqlException npgsql when npgsql.IsTransient:
                case PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" or "53100" } :
                case SqliteException sqlite when SqliteOutages.Contains(sqlite.SqliteErrorCode & 0xFF):
                case SocketException:
                    return true;
                case IOException io when DiskFull.Contains(io.HResult) || DiskFull.Contains(io.HResult & 0xFFFF):
                    return true;
            }
        }

        return false;
    }
}
