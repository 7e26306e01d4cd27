using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AomoriReform.Workflows.Calendar;

public static class CalendarExtensions
{
    /// <summary>The setting naming the extra closed days file; a relative path resolves against the content root.</summary>
    public const string ClosedDaysFileKey = "Calendar:ClosedDaysFile";

    /// <summary>
    /// The prefecture's closed days, as one <see cref="ClosedDays"/> singleton. The extra-days file is read
    /// here, once, so a missing or malformed file stops start-up with one line naming the setting.
    /// </summary>
    public static IHostApplicationBuilder AddClosedDays(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton(ReadClosedDays(builder.Configuration[ClosedDaysFileKey], builder.Environment.ContentRootPath));
        return builder;
    }

    internal static ClosedDays ReadClosedDays(string? setting, string contentRoot)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return ClosedDays.Standard;
        }

        var path = Path.GetFullPath(setting.Trim(), contentRoot);
        if (!File.Exists(path))
        {
            throw new ReformConfigurationException(ClosedDaysFileKey, $"names a file that does not exist ({path})");
        }

        try
        {
            return ClosedDays.Load(path);
        }
        catch (FileRejectedException rejected)
        {
            var first = rejected.Errors[0];
            var more = rejected.Total > 1 ? $" (and {rejected.Total - 1} more error(s))" : string.Empty;
            throw new ReformConfigurationException(ClosedDaysFileKey, $"line {first.Line} of {path}: {first.Message}{more}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReformConfigurationException(ClosedDaysFileKey, $"names a file that cannot be read ({path}: {e.Message.TrimEnd('.')})");
        }
    }
}
