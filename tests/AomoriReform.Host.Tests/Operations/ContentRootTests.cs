using System.Diagnostics;
using System.Globalization;

namespace AomoriReform.Tests.Operations;

/// <summary>The embedded default keeps its database in the content root's data folder; nothing there wakes the host.</summary>
public sealed class ContentRootTests
{
    [Fact]
    public async Task The_host_does_not_watch_its_content_root_where_the_embedded_database_writes()
    {
        // Where the embedded default puts it: inside the folder the host runs in.
        var data = Path.Combine(AppContext.BaseDirectory, "data", $"watch-{Guid.NewGuid():N}"[..14]);
        Directory.CreateDirectory(data);
        try
        {
            await using var host = await RunningHost.StartAsync(new Dictionary<string, string>
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["ConnectionStrings__Postgres"] = string.Empty,
                ["ConnectionStrings__RabbitMq"] = string.Empty,
                ["Storage__DataDirectory"] = data,
                ["Demo__Password"] = ReformApp.DemoPassword,
            });

            var watched = WatchedInodes(host.ProcessId);
            // Reloading settings on change watched every folder under the content root (221 of them under
            // src/Host), so every page SQLite wrote to the database or its log was an event the host read.
            Assert.DoesNotContain(await InodeAsync(AppContext.BaseDirectory), watched);
            Assert.DoesNotContain(await InodeAsync(data), watched);
            Assert.DoesNotContain(await InodeAsync(Path.GetDirectoryName(data)!), watched);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The inodes of every directory or file the process watches through inotify.</summary>
    private static HashSet<long> WatchedInodes(int pid)
    {
        var inodes = new HashSet<long>();
        foreach (var descriptor in Directory.GetFiles($"/proc/{pid}/fdinfo"))
        {
            string[] lines;
            try
            {
                lines = File.ReadAllLines(descriptor);
            }
            catch (IOException)
            {
                continue;
            }

            foreach (var line in lines.Where(l => l.StartsWith("inotify wd:", StringComparison.Ordinal)))
            {
                var ino = line.Split(' ').Single(part => part.StartsWith("ino:", StringComparison.Ordinal))["ino:".Length..];
                inodes.Add(long.Parse(ino, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }

        return inodes;
    }

    private static async Task<long> InodeAsync(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var output = await stat.StandardOutput.ReadToEndAsync();
        await stat.WaitForExitAsync();
        return long.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }
}
