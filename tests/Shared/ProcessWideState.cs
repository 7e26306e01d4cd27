using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Hangfire.Logging;
using Hangfire.PostgreSql;

namespace AomoriReform.Tests;

/// <summary>
/// Hangfire caches loggers in static fields, taken from whichever host set the global log
/// provider first. Tests boot and dispose many hosts in one process, so a static logger
/// would outlive its host's LoggerFactory; pin those statics to a no-op logger up front.
/// </summary>
internal static class ProcessWideState
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "Test assembly: runs before any test boots a host.")]
    internal static void PinHangfireStatics()
    {
        LogProvider.SetCurrentLogProvider(null);
        RuntimeHelpers.RunClassConstructor(typeof(PostgreSqlObjectsInstaller).TypeHandle);
    }
}
