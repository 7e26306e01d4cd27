using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace AomoriReform.Tests.Operations;

/// <summary>
/// The deployment files in <c>infra/deploy</c> cannot run here (no containers, no systemd), so they
/// are checked as text: what they build and start exists, every setting they pass is one the README
/// documents, no secret is written into them, and the host runs as an unprivileged user.
/// </summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Root = FindRoot();
    private static readonly string Deploy = Path.Combine(Root, "infra", "deploy");
    private static readonly string Readme = File.ReadAllText(Path.Combine(Root, "README.md"));

    [Fact]
    public void The_containerfile_builds_the_host_and_runs_it_unprivileged_on_8080()
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "Containerfile")).Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0).ToList();
        var from = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", "FROM mcr.microsoft.com/dotnet/aspnet:10.0"], from);
        var publish = Assert.Single(lines, l => l.Contains("dotnet publish", StringComparison.Ordinal));
        var project = Regex.Match(publish, @"dotnet publish (\S+\.csproj)").Groups[1].Value;
        Assert.True(File.Exists(Path.Combine(Root, project)), project);
        Assert.Contains("USER app", lines);
        Assert.Contains("EXPOSE 8080", lines);
        Assert.Equal("ENTRYPOINT [\"dotnet\", \"AomoriReform.Host.dll\"]", lines[^1]);
        Assert.Contains(lines, l => l.Contains("ASPNETCORE_URLS=http://+:8080", StringComparison.Ordinal));
        AssertDocumented(EnvironmentKeys(string.Join('\n', lines)));
    }

    [Fact]
    public void The_compose_file_starts_postgres_rabbitmq_and_the_host_with_documented_settings_and_no_secrets()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(Deploy, "compose.yaml")))
        {
            yaml.Load(reader);
        }

        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        Assert.Equal(["postgres", "rabbitmq", "host"], services.Children.Keys.Select(k => k.ToString()));
        var host = (YamlMappingNode)services["host"];
        var build = (YamlMappingNode)host["build"];
        var context = Path.GetFullPath(Path.Combine(Deploy, build["context"].ToString()));
        Assert.Equal(Root.TrimEnd('/'), context.TrimEnd('/'));
        Assert.True(File.Exists(Path.Combine(context, build["dockerfile"].ToString())));
        Assert.Equal(["postgres", "rabbitmq"], ((YamlMappingNode)host["depends_on"]).Children.Keys.Select(k => k.ToString()));

        var environment = ((YamlMappingNode)host["environment"]).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());
        AssertDocumented(environment.Keys);
        Assert.Contains("ConnectionStrings__Postgres", environment.Keys);
        Assert.Contains("ConnectionStrings__RabbitMq", environment.Keys);
        Assert.Contains("Journal__Key", environment.Keys);
        // Secrets come from the environment (${...}), never written here.
        Assert.Matches(@"Password=\$\{AOMORI_DB_PASSWORD\}", environment["ConnectionStrings__Postgres"]);
        Assert.Matches(@"^amqp://aomori:\$\{AOMORI_MQ_PASSWORD\}@rabbitmq:5672/$", environment["ConnectionStrings__RabbitMq"]);
        Assert.StartsWith("${", environment["Journal__Key"], StringComparison.Ordinal);
        foreach (var name in new[] { "postgres", "rabbitmq" })
        {
            var service = (YamlMappingNode)services[name];
            Assert.True(service.Children.ContainsKey("healthcheck"), name);
            Assert.All(((YamlMappingNode)service["environment"]).Children.Where(c => c.Key.ToString().Contains("PASS", StringComparison.Ordinal)),
                c => Assert.StartsWith("${", c.Value.ToString(), StringComparison.Ordinal));
        }
    }

    [Fact]
    public void The_systemd_unit_runs_the_published_host_unprivileged_and_does_not_restart_into_a_configuration_error()
    {
        var sections = new Dictionary<string, List<(string Key, string Value)>>();
        List<(string, string)>? current = null;
        foreach (var line in File.ReadAllLines(Path.Combine(Deploy, "aomori-reform.service")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                sections[line[1..^1]] = current = [];
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            Assert.True(equals > 0 && current is not null, $"not a key=value line: {line}");
            current!.Add((line[..equals], line[(equals + 1)..]));
        }

        Assert.Equal(["Unit", "Service", "Install"], sections.Keys);
        string One(string key) => Assert.Single(sections["Service"], e => e.Key == key).Value;
        Assert.Equal("/usr/bin/dotnet /opt/aomori-reform/AomoriReform.Host.dll", One("ExecStart"));
        Assert.NotEqual("root", One("User"));
        Assert.Equal("on-failure", One("Restart"));
        // Exit code 2 is a wrong setting (see the README): restarting would only repeat it.
        Assert.Equal("2", One("RestartPreventExitStatus"));
        Assert.Equal("multi-user.target", Assert.Single(sections["Install"], e => e.Key == "WantedBy").Value);
        AssertDocumented(sections["Service"].Where(e => e.Key == "Environment").Select(e => e.Value[..e.Value.IndexOf('=', StringComparison.Ordinal)]));
    }

    /// <summary>Each setting (environment form, <c>A__B</c>) is in the README as <c>A:B</c> or in its environment form.</summary>
    private static void AssertDocumented(IEnumerable<string> keys)
    {
        var missing = keys.Where(key => key is not ("ASPNETCORE_URLS" or "ASPNETCORE_ENVIRONMENT"))
            .Where(key => !Readme.Contains(key.Replace("__", ":", StringComparison.Ordinal), StringComparison.Ordinal) && !Readme.Contains(key, StringComparison.Ordinal))
            .ToList();
        Assert.True(missing.Count == 0, "settings the README does not document: " + string.Join(", ", missing));
    }

    private static IEnumerable<string> EnvironmentKeys(string text) => SettingPattern().Matches(text).Select(m => m.Groups[1].Value).Distinct();

    [GeneratedRegex(@"\b([A-Za-z]+(?:__[A-Za-z]+)+|ASPNETCORE_[A-Z]+)=")]
    private static partial Regex SettingPattern();

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AomoriReform.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("The repository root (AomoriReform.sln) was not found above the test's folder.");
    }
}
