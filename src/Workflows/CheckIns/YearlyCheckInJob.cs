using System.Globalization;
using AomoriReform.Workflows.Calendar;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using AomoriReform.Workflows.Outcomes;

namespace AomoriReform.Workflows.CheckIns;

public sealed class CheckInOptions
{
    /// <summary>Whether the yearly job opens check-ins by itself.</summary>
    public bool AutoOpen { get; set; } = true;

    /// <summary>Month and day (Japan time) on which the check-in of the fiscal year just ended opens: "04-01".</summary>
    public string OpenOn { get; set; } = "04-01";

    /// <summary>Month and day of the due date in the same calendar year: "05-31".</summary>
    public string DueOn { get; set; } = "05-31";

    public static bool TryMonthDay(string text, out int month, out int day)
    {
        month = day = 0;
        var parts = text.Split('-');
        return parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out month)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out day)
            && month is >= 4 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(2023, month);
    }
}

/// <summary>
/// Opens the yearly progress check (進捗点検) of the fiscal year just ended, the same way
/// <c>POST /api/checkins</c> does. It runs daily (Hangfire, Japan time) and acts once the
/// opening day has come, so a host that was down on 1 April catches up; the check-in's key
/// makes it open each year once, however many hosts run it.
/// </summary>
public sealed partial class YearlyCheckInJob(CheckInOpener opener, TimeProvider time, IOptions<CheckInOptions> options, ILogger<YearlyCheckInJob> logger)
{
    public const string Id = "yearly-check-in";
    public const string ActorId = "system";
    public const string ActorName = "定例処理（年次点検の自動開始）";

    [AutomaticRetry(Attempts = 3)]
    public async Task<OutcomeKind?> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.AutoOpen || !CheckInOptions.TryMonthDay(settings.OpenOn, out var openMonth, out var openDay)
            || !CheckInOptions.TryMonthDay(settings.DueOn, out var dueMonth, out var dueDay))
        {
            return null;
        }

        var today = FiscalYear.JapanDate(time.GetUtcNow());
        var year = FiscalYear.Of(today).Year - 1;
        var openOn = new DateOnly(year + 1, openMonth, openDay);
        if (today < openOn)
        {
            return null;
        }

        var outcome = await opener.OpenAsync(new CheckInRequest(year, new DateOnly(year + 1, dueMonth, dueDay)), ActorId, ActorName, cancellationToken);
        if (outcome.IsOk)
        {
            LogOpened(logger, new FiscalYear(year).ReiwaLabel, outcome.Value.ReportsOpened, outcome.Value.DueDate);
        }
        else if (outcome.Kind == OutcomeKind.Invalid)
        {
            LogSkipped(logger, new FiscalYear(year).ReiwaLabel, outcome.Failure!.Detail);
        }

        return outcome.Kind;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened the check-in of {Year}: {Reports} reports due {Due}")]
    private static partial void LogOpened(ILogger logger, string year, int reports, DateOnly due);

    [LoggerMessage(Level = LogLevel.Information, Message = "No check-in opened for {Year}: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string year, string reason);
}
