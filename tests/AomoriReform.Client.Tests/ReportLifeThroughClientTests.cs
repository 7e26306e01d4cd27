using System.Net.Http.Headers;
using AomoriReform.Client;
using AomoriReform.Client.Models;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;

namespace AomoriReform.Tests.Client;

/// <summary>
/// One report's whole life through the client Kiota generates from the OpenAPI document, against
/// the real host on PostgreSQL: if the document lies (a path, a field, a type, a status), this fails.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class ReportLifeThroughClientTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        app = new ReformApp(database, "Development");
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>Signs in through the client and returns a client that sends the bearer token.</summary>
    private async Task<ReformClient> SignInAsync(string email)
    {
        var anonymous = Client(app.CreateClient(Options));
        var token = await anonymous.Api.Auth.Login.PostAsync(new LoginRequest { Email = email, Password = ReformApp.DemoPassword });
        Assert.Equal(AccessTokenResponse_tokenType.Bearer, token!.TokenType);
        Assert.InRange(token.ExpiresIn ?? 0, 60, 24 * 60 * 60);
        var http = app.CreateClient(Options);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        return Client(http);
    }

    private static readonly WebApplicationFactoryClientOptions Options = new() { BaseAddress = new Uri("https://localhost") };

    private static ReformClient Client(HttpClient http) =>
        new(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http) { BaseUrl = "https://localhost" });

    [Fact]
    public async Task A_report_goes_from_draft_to_accepted_through_the_generated_client()
    {
        var admin = await SignInAsync("hq.admin@demo.local");
        var opened = await admin.Api.Checkins.PostAsync(new CheckInRequest { FiscalYear = 2025, DueDate = new Microsoft.Kiota.Abstractions.Date(2026, 5, 29) });
        Assert.True(opened!.ReportsOpened > 0);

        var staff = await SignInAsync("gyosei-keiei.staff@demo.local");
        var me = await staff.Api.Me.GetAsync();
        Assert.Equal("gyosei-keiei", me!.SectionCode);
        var inbox = await staff.Api.Inbox.GetAsync();
        ReportView? report = null;
        foreach (var task in inbox!.Where(t => t.Status == "Draft" && t.Kind == InboxItem_kind.Action))
        {
            // The standard route: the section chief approves, HQ accepts.
            report = await staff.Api.Reports[task.ReportId!.Value].GetAsync();
            if (report!.Route == "progress-report")
            {
                break;
            }
        }

        Assert.Equal("progress-report", report!.Route);
        var id = report.Id!.Value;
        var saved = await staff.Api.Reports[id].PutAsync(new SaveRequest
        {
            Version = report.Version,
            Content = new ReportContent
            {
                Progress = Progress.OnTrack,
                Achievements = "電子申請の対象手続を拡大した。",
                NextSteps = "市町村と様式を標準化する。",
                Indicators = [],
            },
        });
        Assert.Equal("電子申請の対象手続を拡大した。", saved!.Content!.Achievements);
        Assert.Contains("submit", saved.PermittedActions!.Select(a => a.ToString()!.ToLowerInvariant()));

        // 添付資料: a file in the multipart body the document describes; the report then lists it.
        var evidence = new Microsoft.Kiota.Abstractions.MultipartBody();
        evidence.AddOrReplacePart("file", "application/pdf", new MemoryStream(TestFiles.Pdf()), "根拠資料.pdf");
        var attached = await staff.Api.Reports[id].Attachments.PostAsync(evidence);
        Assert.Equal(("根拠資料.pdf", 1, "application/pdf"), (attached!.FileName, attached.Version, attached.ContentType));
        Assert.Equal(attached.Id, Assert.Single((await staff.Api.Reports[id].Attachments.GetAsync())!).Id);

        var submitted = await staff.Api.Reports[id]["submit"].PostAsync(new ActionRequest { Version = saved.Version });
        Assert.Equal("Submitted", submitted!.Status);

        var chief = await SignInAsync("gyosei-keiei.chief@demo.local");
        var approved = await chief.Api.Reports[id]["approve"].PostAsync(new ActionRequest { Version = submitted.Version, Comment = "確認しました。" });
        Assert.Equal("SectionApproved", approved!.Status);

        // 差戻し to the chief's step: the chief decides again.
        var reviewer = await SignInAsync("hq.reviewer@demo.local");
        var returned = await reviewer.Api.Reports[id]["return"].PostAsync(new ActionRequest { Version = approved.Version, Comment = "指標の根拠を確認してください。", ToStep = "section-approval" });
        Assert.Equal("Submitted", returned!.Status);
        var again = await chief.Api.Reports[id]["approve"].PostAsync(new ActionRequest { Version = returned.Version });
        var accepted = await reviewer.Api.Reports[id]["accept"].PostAsync(new ActionRequest { Version = again!.Version });
        Assert.Equal("Accepted", accepted!.Status);
        Assert.All(accepted.Steps!, step => Assert.NotNull(step.State));

        var history = (await reviewer.Api.Reports[id].History.GetAsync())!;
        Assert.Equal(new[] { "open", "submit", "approve", "return", "approve", "accept" }, history.Select(h => h.Action!).ToArray());
        Assert.Equal("指標の根拠を確認してください。", history[3].Comment);

        // A refusal comes back as the documented problem: a stale version is 409.
        var stale = await Assert.ThrowsAsync<ProblemDetails>(() => reviewer.Api.Reports[id]["accept"].PostAsync(new ActionRequest { Version = 1 }));
        Assert.Equal(409, stale.Status);

        var auditor = await SignInAsync("auditor@demo.local");
        var verification = await auditor.Api.Audit.Verify.GetAsync();
        Assert.True(verification!.Valid);
        Assert.True(verification.EntriesChecked >= 6);
    }
}
