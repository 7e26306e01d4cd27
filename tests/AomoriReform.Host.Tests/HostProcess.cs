using System.Diagnostics;

namespace AomoriReform.Tests;

/// <summary>Runs the built Host as an operator would: a real process with its own environment.</summary>
public static class HostProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AomoriReform.Host.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        // The test command exports the services' connection strings; a run gets only what it names.
        start.Environment.Remove("ConnectionStrings__Postgres");
        start.Environment.Remove("ConnectionStrings__RabbitMq");
        // Production refuses to start without a journal key; a run that tests that sets it blank.
        start.Environment["Journal__Key"] = ReformApp.JournalKey;
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output, await error);
    }
}
