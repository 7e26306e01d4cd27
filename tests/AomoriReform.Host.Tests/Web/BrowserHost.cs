using System.Net.Http.Json;
using Microsoft.Playwright;

namespace AomoriReform.Tests.Web;

/// <summary>
/// One real host on a loopback port (PostgreSQL and RabbitMQ, Development with the demo data) and
/// one headless Chromium for a whole test class. Debian's Chromium, never a downloaded one: the
/// test command installs it with apt.
/// </summary>
public sealed class BrowserHost : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string Password = ReformApp.DemoPassword;

    private IPlaywright? playwright;

    public ReformApp App { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string BaseUrl { get; private set; } = "";

    /// <summary>Where screenshots go: TestResults/screenshots beside the test assembly's results.</summary>
    public static string ScreenshotDirectory { get; } =
        Path.Combine(Environment.GetEnvironmentVariable("AOMORI_SCREENSHOTS") ?? Path.Combine(AppContext.BaseDirectory, "screenshots"));

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: the README's test command (bash infra/test.sh) installs it with apt-get install chromium.");
        }

        var database = await TestDatabase.CreateAsync(Profile.Production);
        App = new ReformApp(database);
        App.UseKestrel(0);
        App.StartServer();
        BaseUrl = App.ClientOptions.BaseAddress.ToString().TrimEnd('/');
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A fresh browser context (its own cookies) at a width, with CSP and console errors collected; optionally without script.</summary>
    public async Task<Session> NewSessionAsync(int width = 1280, bool javaScript = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseUrl,
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
            Locale = "ja-JP",
            TimezoneId = "Asia/Tokyo",
            JavaScriptEnabled = javaScript,
        });
        var page = await context.NewPageAsync();
        var session = new Session(context, page, this);
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                session.ConsoleErrors.Add(message.Text);
            }
        };
        return session;
    }

    /// <summary>Opens the check-in of a fiscal year through the API as HQ admin (the dashboard's form is tested on its own).</summary>
    public async Task OpenCheckInAsync(int fiscalYear, DateOnly dueDate)
    {
        using var admin = await App.SignedInAsync("hq.admin@demo.local");
        var response = await admin.PostAsJsonAsync("/api/checkins", new { fiscalYear, dueDate });
        Assert.True(response.IsSuccessStatusCode || response.StatusCode == System.Net.HttpStatusCode.Conflict, $"opening FY{fiscalYear}: {(int)response.StatusCode}");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        playwright?.Dispose();
        var database = App?.Database;
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }
}

/// <summary>One person's browser: a context with its cookies and a page.</summary>
public sealed class Session(IBrowserContext context, IPage page, BrowserHost host) : IAsyncDisposable
{
    public IPage Page { get; } = page;

    public List<string> ConsoleErrors { get; } = [];

    public async Task SignInAsync(string email, string password = BrowserHost.Password)
    {
        await Page.GotoAsync("/signin");
        await Page.FillAsync("#email", email);
        await Page.FillAsync("#password", password);
        await Page.Locator("form.form button[type=submit]").ClickAndWaitAsync();
        Assert.DoesNotContain("/signin", Page.Url, StringComparison.Ordinal);
    }

    public Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserHost.ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>The page fits the viewport: no horizontal scrolling.</summary>
    public async Task AssertNoHorizontalScrollAsync()
    {
        var widths = await Page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        Assert.True(widths[0] <= widths[1], $"{Page.Url} scrolls sideways: {widths[0]} > {widths[1]}");
    }

    public string BaseUrl => host.BaseUrl;

    public async ValueTask DisposeAsync() => await context.CloseAsync();
}

public static class PageActions
{
    /// <summary>Clicks something that loads a new document (a link, a form post with its redirect) and waits for it.</summary>
    public static async Task ClickAndWaitAsync(this ILocator target)
    {
        var page = target.Page;
        await page.RunAndWaitForResponseAsync(
            () => target.ClickAsync(),
            // A document load, or Blazor's enhanced navigation (a fetch that asks for the page).
            response => (response.Request.IsNavigationRequest || (response.Request.Headers.TryGetValue("accept", out var accept) && accept.Contains("blazor-enhanced-nav", StringComparison.Ordinal)))
                && response.Status is < 300 or >= 400);
        await page.WaitForLoadStateAsync(LoadState.Load);
    }
}
