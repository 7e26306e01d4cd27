using System.Net;
using System.Net.Http.Json;
using AomoriReform.Workflows.Demo;
using AomoriReform.Workflows.Organisation;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Operations;

/// <summary>The operator commands, run as a real process the way an operator runs them.</summary>
[Collection(SharedHost.Name)]
public sealed class HostCommandTests
{
    [Fact]
    public async Task Create_admin_makes_the_first_hq_admin_of_a_production_install_who_can_then_import()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production, migrated: false);
        var settings = new Dictionary<string, string> { ["ConnectionStrings__Postgres"] = database.PostgresConnectionString!, ["ASPNETCORE_ENVIRONMENT"] = "Production" };

        var created = await RunAsync(settings, "create-admin", "--email", "admin@pref.example.jp", "--name", "管理 太郎", "--password", "A-long-enough-password");
        var again = await RunAsync(settings, "create-admin", "--email", "admin@pref.example.jp", "--name", "x", "--password", "A-long-enough-password");
        var orgFile = Path.GetTempFileName();
        await File.WriteAllBytesAsync(orgFile, [.. SampleFiles.Organisation(), .. "user,admin@pref.example.jp,管理 太郎,,HqAdmin\r\n"u8.ToArray()]);
        var imported = await RunAsync(settings, "import-org", "--file", orgFile);

        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Equal(1, again.ExitCode);
        Assert.True(imported.ExitCode == 0, imported.Error);
        await using var app = new ReformApp(database, "Production");
        var login = await app.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "admin@pref.example.jp", password = "A-long-enough-password" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var admin = await app.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync());
        Assert.Equal((Role.HqAdmin, "管理 太郎", false), (admin.Role, admin.DisplayName, admin.IsDemo));
        Assert.True(await app.WithDbAsync(db => db.Sections.AnyAsync()));
    }

    [Fact]
    public async Task A_bad_organisation_file_fails_the_command_naming_the_line()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Embedded);
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "kind,code,name,parent,role\r\nsection,kaikei,会計課,nowhere,\r\n");

        var result = await RunAsync(new() { ["Storage__DataDirectory"] = database.DataDirectory!, ["ASPNETCORE_ENVIRONMENT"] = "Production" }, "import-org", "--file", file);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("line 2: section 'kaikei' names unknown department 'nowhere'", result.Error, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Output, string Error)> RunAsync(Dictionary<string, string> environment, params string[] args) =>
        HostProcess.RunAsync(environment, args);
}
