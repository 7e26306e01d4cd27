using System.Globalization;
using AomoriReform.Workflows.Hosting;

namespace AomoriReform.Host.Identity;

/// <summary>
/// The <c>Identity:*</c> settings, read and checked once at start: a malformed or out-of-range value
/// stops start-up with one line naming it, instead of failing at the first sign-in.
/// </summary>
public sealed record IdentitySettings(
    int LockoutFailures, int LockoutMinutes, int AccessTokenMinutes, int RefreshTokenDays, int CookieMinutes,
    int LoginsPerClientPerMinute, int LoginsPerAccountPerMinute)
{
    public const int DefaultLoginsPerClientPerMinute = 30;
    public const int DefaultLoginsPerAccountPerMinute = 10;

    public static IdentitySettings From(IConfiguration configuration) => new(
        Number(configuration, "LockoutFailures", 5, 1, 100),
        Number(configuration, "LockoutMinutes", 15, 1, 24 * 60),
        Number(configuration, "AccessTokenMinutes", 60, 1, 24 * 60),
        Number(configuration, "RefreshTokenDays", 14, 1, 365),
        Number(configuration, "CookieMinutes", 60, 1, 24 * 60),
        Number(configuration, "LoginsPerClientPerMinute", DefaultLoginsPerClientPerMinute, 1, 1_000_000),
        Number(configuration, "LoginsPerAccountPerMinute", DefaultLoginsPerAccountPerMinute, 1, 1_000_000));

    private static int Number(IConfiguration configuration, string name, int fallback, int min, int max)
    {
        var key = $"Identity:{name}";
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new ReformConfigurationException(key, $"must be a whole number from {min} to {max} (default {fallback}), not '{text}'");
    }
}
