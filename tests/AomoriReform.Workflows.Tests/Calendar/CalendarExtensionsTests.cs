using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Tests.Calendar;

public sealed class CalendarExtensionsTests : IDisposable
{
    private readonly string contentRoot = Directory.CreateTempSubdirectory("aomori-calendar-").FullName;

    [Fact]
    public void Without_the_setting_the_standard_closed_days_are_registered()
    {
        using var host = Build(null);

        Assert.Same(ClosedDays.Standard, host.Services.GetRequiredService<ClosedDays>());
    }

    [Fact]
    public void A_relative_path_is_read_from_the_content_root()
    {
        Directory.CreateDirectory(Path.Combine(contentRoot, "config"));
        File.WriteAllText(Path.Combine(contentRoot, "config", "closed-days.txt"), "# 臨時閉庁日\n2026-08-14 臨時閉庁\n");

        using var host = Build("config/closed-days.txt");

        var days = host.Services.GetRequiredService<ClosedDays>();
        Assert.True(days.IsClosed(new DateOnly(2026, 8, 14)));
        Assert.Same(days, host.Services.GetRequiredService<ClosedDays>());
    }

    [Fact]
    public void A_missing_file_stops_start_up_naming_the_setting_and_the_path()
    {
        var e = Assert.Throws<ReformConfigurationException>(() => Build("missing.txt"));

        Assert.Equal(CalendarExtensions.ClosedDaysFileKey, e.Key);
        Assert.Equal($"Configuration error: Calendar:ClosedDaysFile names a file that does not exist ({Path.Combine(contentRoot, "missing.txt")}).", e.Message);
    }

    [Fact]
    public void A_malformed_file_stops_start_up_with_one_line_naming_the_first_bad_line()
    {
        var path = Path.Combine(contentRoot, "closed-days.txt");
        File.WriteAllText(path, "2026-08-14\n2026-8-15\n2026-08-14\n");

        var e = Assert.Throws<ReformConfigurationException>(() => Build(path));

        Assert.Equal(
            $"Configuration error: Calendar:ClosedDaysFile line 2 of {path}: '2026-8-15' is not a date yyyy-MM-dd such as 2026-08-14 (and 1 more error(s)).",
            e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    public void Dispose() => Directory.Delete(contentRoot, recursive: true);

    private IHost Build(string? file)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            EnvironmentName = Environments.Production,
            DisableDefaults = true,
            ContentRootPath = contentRoot,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [CalendarExtensions.ClosedDaysFileKey] = file });
        builder.AddClosedDays();
        return builder.Build();
    }
}
