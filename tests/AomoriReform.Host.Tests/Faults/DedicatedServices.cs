using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace AomoriReform.Tests.Faults;

/// <summary>
/// A PostgreSQL cluster or a RabbitMQ node of one test's own, on free loopback ports, so that the
/// test can really stop and start it (a fault) without touching the services every other test
/// shares. Same binaries as infra/services.sh installs; fsync and synchronous commit stay on.
/// </summary>
internal static class Shell
{
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, string? asUser = null, TimeSpan? timeout = null)
    {
        var start = asUser is null
            ? new ProcessStartInfo(file)
            : Environment.UserName == "root" ? new ProcessStartInfo("/usr/sbin/runuser", ["-u", asUser, "--", file]) : new ProcessStartInfo("sudo", ["-n", "-u", asUser, "--", file]);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = "/";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await output}{await error}");
        }

        return await output;
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    public static async Task WaitForPortAsync(int port, bool open, string what) =>
        await Eventually.Get(() => AcceptsAsync(port), accepts => accepts == open, TimeSpan.FromSeconds(90), $"{what} to {(open ? "open" : "close")} port {port}");

    /// <summary>A folder in /tmp owned by the service's own user.</summary>
    public static async Task<string> OwnedDirectoryAsync(string prefix, string user)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 10)]);
        await RunAsync("install", ["-d", "-o", user, "-g", user, "-m", "700", directory]);
        return directory;
    }
}

/// <summary>A throwaway PostgreSQL 15 cluster: initdb, start, and a real stop/start for a restart.</summary>
public sealed class DedicatedPostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string directory;

    private DedicatedPostgres(string directory, int port)
    {
        this.directory = directory;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Database=aomori_fault;Username=postgres;Password=unused";

    public static async Task<DedicatedPostgres> LaunchAsync()
    {
        var directory = await Shell.OwnedDirectoryAsync("aomori-fault-pg-", "postgres");
        var postgres = new DedicatedPostgres(directory, Shell.FreePort());
        await Shell.RunAsync($"{Bin}/initdb", ["-D", $"{directory}/data", "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"], asUser: "postgres");
        await postgres.StartServerAsync();
        await Shell.RunAsync($"{Bin}/psql", ["-h", directory, "-p", postgres.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-X", "-q", "-c", "CREATE DATABASE aomori_fault"], asUser: "postgres");
        return postgres;
    }

    /// <summary><c>pg_ctl stop -m fast</c>: every session is ended, the server is gone until <see cref="StartServerAsync"/>.</summary>
    public Task StopServerAsync() => Shell.RunAsync($"{Bin}/pg_ctl", ["stop", "-w", "-m", "fast", "-D", $"{directory}/data"], asUser: "postgres");

    public Task StartServerAsync() => Shell.RunAsync(
        $"{Bin}/pg_ctl",
        ["start", "-w", "-t", "60", "-D", $"{directory}/data", "-l", $"{directory}/postgres.log",
         "-o", $"-p {Port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={directory} -c max_connections=200"],
        asUser: "postgres");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Shell.RunAsync($"{Bin}/pg_ctl", ["stop", "-w", "-m", "immediate", "-D", $"{directory}/data"], asUser: "postgres");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        await Shell.RunAsync("rm", ["-rf", directory]);
    }
}

/// <summary>A RabbitMQ node of its own (node name, ports, data folder), stopped and started with rabbitmqctl.</summary>
public sealed class DedicatedRabbitMq : IAsyncDisposable
{
    private readonly string directory;
    private readonly string node;

    private DedicatedRabbitMq(string directory, string node, int port)
    {
        this.directory = directory;
        this.node = node;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"amqp://guest:guest@127.0.0.1:{Port}/";

    public static async Task<DedicatedRabbitMq> LaunchAsync()
    {
        var directory = await Shell.OwnedDirectoryAsync("aomori-fault-mq-", "rabbitmq");
        var name = $"fault{Path.GetFileName(directory)[^10..]}@localhost";
        var broker = new DedicatedRabbitMq(directory, name, Shell.FreePort());
        await File.WriteAllTextAsync(Path.Combine(directory, "plugins"), "[].");
        await Shell.RunAsync("chown", ["rabbitmq", Path.Combine(directory, "plugins")]);
        // The detached node must not inherit this process's pipes (reading them would wait for the node to end).
        await Shell.RunAsync("/bin/sh", ["-c", $"exec /usr/sbin/rabbitmq-server -detached >'{directory}/start.log' 2>&1 </dev/null"], new Dictionary<string, string>
        {
            ["ERL_EPMD_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODENAME"] = name,
            ["RABBITMQ_NODE_PORT"] = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = Shell.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "plugins"),
            ["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}",
            ["PATH"] = $"{Environment.GetEnvironmentVariable("PATH")}:/usr/sbin:/sbin",
        });
        await Shell.WaitForPortAsync(broker.Port, open: true, "the dedicated RabbitMQ node");
        return broker;
    }

    /// <summary><c>rabbitmqctl stop_app</c>: the broker closes every connection and its port; durable queues keep their messages.</summary>
    public async Task StopAsync()
    {
        await ControlAsync("stop_app");
        await Shell.WaitForPortAsync(Port, open: false, "the dedicated RabbitMQ node");
    }

    public async Task StartAsync()
    {
        await ControlAsync("start_app");
        await Shell.WaitForPortAsync(Port, open: true, "the dedicated RabbitMQ node");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await ControlAsync("shutdown");
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await Shell.RunAsync("rm", ["-rf", directory]);
    }

    private Task ControlAsync(string command) => Shell.RunAsync(
        "/usr/sbin/rabbitmqctl",
        ["-n", node, "-q", command],
        new Dictionary<string, string> { ["ERL_EPMD_ADDRESS"] = "127.0.0.1", ["PATH"] = $"{Environment.GetEnvironmentVariable("PATH")}:/usr/sbin:/sbin" });
}

/// <summary>A small tmpfs of the test's own, to fill up (root only: the test command runs as root).</summary>
public sealed class SmallDisk : IAsyncDisposable
{
    private readonly List<string> fillers = [];

    private SmallDisk(string path) => Path = path;

    public string Path { get; }

    public static async Task<SmallDisk> MountAsync(long bytes)
    {
        var path = Directory.CreateTempSubdirectory("aomori-fault-disk-").FullName;
        await Shell.RunAsync("/usr/bin/mount", ["-t", "tmpfs", "-o", $"size={(bytes + 4095) / 4096 * 4096}", "tmpfs", path]);
        return new SmallDisk(path);
    }

    /// <summary>Writes filler files until the file system refuses another byte.</summary>
    public async Task FillAsync()
    {
        foreach (var chunk in new[] { 1 << 20, 4096, 512 })
        {
            var buffer = new byte[chunk];
            var filler = System.IO.Path.Combine(Path, $"filler-{chunk}");
            fillers.Add(filler);
            try
            {
                await using var stream = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
                while (true)
                {
                    await stream.WriteAsync(buffer);
                    await stream.FlushAsync();
                }
            }
            catch (IOException)
            {
                // Full at this chunk size; go on with a smaller one.
            }
        }
    }

    public void Free()
    {
        foreach (var filler in fillers)
        {
            File.Delete(filler);
        }

        fillers.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        await Shell.RunAsync("/usr/bin/umount", ["-l", Path]);
        Directory.Delete(Path);
    }
}
