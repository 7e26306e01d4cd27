using AomoriReform.Host.Identity;
using AomoriReform.Host.Reports;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Reports;
using Microsoft.AspNetCore.Authentication.BearerToken;

namespace AomoriReform.Host.Api;

/// <summary>
/// Examples of the main requests and answers in the OpenAPI document, built from the real types
/// (so that they keep every field), with Japanese text where the field is Japanese text. The lint
/// checks each against its schema.
/// </summary>
public static class ApiExamples
{
    private static readonly Guid ReportId = Guid.Parse("0193a4c2-5e1f-7b3a-9c41-2f6d8e0a1b25");
    private static readonly Guid TaskId = Guid.Parse("0193a4c2-6a70-7d11-8f02-93b5c7e4d610");

    public static SignInExtensions.LoginRequest Login { get; } = new("gyosei-keiei.staff@demo.local", "correct-horse-battery-staple");

    public static AccessTokenResponse Token { get; } = new()
    {
        AccessToken = "CfDJ8Kx0…(opaque)",
        ExpiresIn = 3600,
        RefreshToken = "CfDJ8Kx0…(opaque)",
    };

    public static ReportContent Content { get; } = new(
        Progress.MostlyOnTrack,
        "電子申請の対象手続を42件から68件に拡大し、県民向けポータルで受付を開始した。",
        "令和8年度は市町村と共同で申請様式を標準化し、残る手続のオンライン化を進める。",
        [new IndicatorActual("1", 68m)]);

    public static ReportEndpoints.SaveRequest Save { get; } = new(3, Content);

    public static ReportEndpoints.ActionRequest Return { get; } = new(4, "指標1の実績値の根拠資料を添付のうえ、再提出してください。", "draft");

    public static ReportView Report { get; } = new(
        ReportId, "1.1.1.1", "行政手続のオンライン化の推進", "gyosei-keiei", 2025, "progress-report", 1,
        "Submitted", 4, new DateOnly(2026, 5, 29), Content, ["approve", "return"])
    {
        Steps =
        [
            new StepView("draft", "担当課の作成・提出", StepKind.Draft, "Draft", Role.Staff, "done"),
            new StepView("section", "課長決裁", StepKind.Approve, "Submitted", Role.SectionChief, "current"),
            new StepView("hq", "推進本部の審査・受理", StepKind.Review, "SectionApproved", Role.HqReviewer, "pending"),
        ],
        ReturnSteps = ["draft"],
        CanComment = true,
        Round = 1,
    };

    public static IReadOnlyList<InboxItem> Inbox { get; } =
    [
        new(TaskId, ReportId, "1.1.1.1", "行政手続のオンライン化の推進", 2025, "Submitted", "section", new DateOnly(2026, 5, 29), false, null)
        {
            Bulk = true,
            Version = 4,
        },
    ];
}
