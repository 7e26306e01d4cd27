using System.Diagnostics;

namespace AomoriReform.Tests;

/// <summary>Runs the built Host as an operator would: a real process with its own environment.</summary>
public static class HostProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
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

    /// <summary>Starts a command without waiting for it (a test may kill it); its output is redirected.</summary>
    public static Process Start(IDictionary<string, string> environment, params string[] args)
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
        start.Environment["Demo__OpenCheckIn"] = "false";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }
}

/// <summary>
/// The built Host as a long-running server process on a free loopback port, for tests that kill
/// it (SIGKILL, no shutdown of any kind) and start it again on the same data.
/// </summary>
public sealed class RunningHost : IAsyncDisposable
{
    private readonly Dictionary<string, string> environment;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> output = new();
    private Process? process;

    private RunningHost(Dictionary<string, string> environment, int port)
    {
        this.environment = environment;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The running process's id (Linux: its /proc entry).</summary>
    public int ProcessId => process?.Id ?? throw new InvalidOperationException("The host is not running.");

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The last lines the host (all its runs) printed, for a failure message.</summary>
    public string Tail => string.Join('\n', output.TakeLast(40));

    /// <summary>Starts the host and waits until <c>/health/ready</c> answers 200.</summary>
    public static async Task<RunningHost> StartAsync(IDictionary<string, string> environment)
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var host = new RunningHost(new Dictionary<string, string>(environment), port);
        await host.RestartAsync();
        return host;
    }

    /// <summary>Starts the host again on the same port and data; waits until it is ready.</summary>
    public async Task RestartAsync()
    {
        if (process is { HasExited: false })
        {
            throw new InvalidOperationException("The host is still running.");
        }

        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "AomoriReform.Host.dll")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment.Remove("ConnectionStrings__Postgres");
        start.Environment.Remove("ConnectionStrings__RabbitMq");
        // Tests open their own check-ins.
        start.Environment["Demo__OpenCheckIn"] = "false";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        process?.Dispose();
        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        async Task<System.Net.HttpStatusCode> ReadyAsync()
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The host exited with {process.ExitCode}:\n{Tail}");
            }

            try
            {
                return (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return System.Net.HttpStatusCode.ServiceUnavailable;
            }
        }

        try
        {
            await Eventually.Get(ReadyAsync, status => status == System.Net.HttpStatusCode.OK, TimeSpan.FromSeconds(60), "the host to be ready");
        }
        catch (TimeoutException e)
        {
            // What the host was doing, for the failure message (a start that hangs says nothing else).
            throw new TimeoutException($"{e.Message}; the host's last lines:\n{Tail}", e);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to stop its bus, flush or close anything.</summary>
    public async Task KillAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: false);
            await process.WaitForExitAsync();
            Keep($"--- killed (SIGKILL) ---");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process?.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > 400 && output.TryDequeue(out _))
        {
        }
    }
}
