using System.Security.Cryptography;
using System.Text;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Records;

namespace AomoriReform.Tests.Records;

/// <summary>Decision records as the archives would hold them: a long one and an empty one.</summary>
internal static class SampleRecords
{
    public const string Deputy = "山田 花子";
    public const string Principal = "佐藤 一郎";
    public const string JapaneseFileName = "オンライン申請件数_集計表（令和7年4月～9月）.xlsx";

    private static readonly string[] Paragraphs =
    [
        "県民の利便性向上と行政事務の効率化を図るため、許認可・届出等の行政手続のオンライン化を推進した。令和7年度上半期には、新たに42手続をオンライン化し、累計で318手続（対象手続の71.4%）が電子申請に対応した。",
        "特に、利用件数の多い「道路占用許可申請」「飲食店営業許可申請」「県営住宅入居申込」については、電子決済（クレジットカード・ペイジー）にも対応し、窓口に来庁することなく手続が完結する仕組みを整えた。",
        "市町村との連携では、青森市、弘前市、八戸市をはじめとする20市町村と共同で「あおもり電子申請サービス」の共同利用を開始し、市町村職員向けの操作研修を延べ12回（参加者312名）実施した。",
        "一方、添付書類の電子化が進んでいない手続や、押印を要する様式が残っている手続があり、所管課と個別に協議を行っている。見直し対象となった様式は186件で、うち124件について押印の廃止を決定した（https://www.pref.aomori.lg.jp/soshiki/somu/gyokaku/online.html で公表）。",
    ];

    public static DecisionRecord Long()
    {
        var start = FiscalYear.JapanToUtc(new DateOnly(2025, 9, 1), new TimeOnly(9, 12));
        var approvals = new List<ApprovalEntry>();
        string[] steps = ["担当", "課長", "部長", "推進本部事務局", "合議（財政課）"];
        string[] actions = ["提出", "承認", "承認", "差戻し", "合議同意"];
        for (var i = 0; i < 34; i++)
        {
            var step = i % steps.Length;
            var deputy = i % 7 == 3;
            approvals.Add(new ApprovalEntry
            {
                Seq = i + 1,
                StepTitle = steps[step],
                Action = i == 33 ? "受理" : actions[step],
                ActorName = deputy ? Deputy : step == 0 ? "工藤 健太" : "木村 美穂",
                ActorTitle = deputy ? "行政経営課 課長補佐" : step == 0 ? "行政経営課 主査" : "行政経営課 総括主幹",
                OnBehalfOf = deputy ? Principal : null,
                At = start.AddHours(i * 19).AddMinutes(i * 7),
                Comment = i % 3 == 0
                    ? "指標2の実績値の算定根拠（集計期間と対象手続の範囲）を添付資料に明記すること。あわせて、市町村との共同利用の効果についても記載を充実させること。"
                    : i % 3 == 1 ? "確認しました。" : null,
                PostReview = deputy && i < 20 ? new PostReview(start.AddHours(i * 19 + 30), Principal, i == 3 ? "内容を確認した。代決のとおりで差し支えない。" : null) : null,
            });
        }

        return new DecisionRecord
        {
            MeasureCode = "2.3.1",
            MeasureTitle = "デジタル技術を活用した行政手続のオンライン化と窓口サービスの利便性向上",
            FiscalYear = 2025,
            DepartmentName = "総務部",
            SectionName = "行政経営課",
            RouteTitle = "標準ルート（課長・部長・推進本部事務局・合議）",
            Status = "受理済",
            ReportId = Guid.Parse("3f2b8c1e-5d47-4a9b-9e61-0c2d7f8a9b14"),
            Version = 37,
            AcceptedAt = approvals[^1].At,
            RetentionClass = "5年",
            GeneratedAt = new DateTime(2025, 11, 20, 1, 30, 0, DateTimeKind.Utc),
            Progress = "おおむね順調",
            Achievements = string.Join("\n", Enumerable.Range(0, 4).SelectMany(_ => Paragraphs)),
            NextSteps = "下半期は、残る128手続のうち利用件数の多い上位30手続を優先してオンライン化する。\n添付書類の電子化と押印の廃止を所管課と協議し、年度末までに様式の見直しを完了する。\n市町村との共同利用について、参加市町村を30団体に拡大することを目指す。",
            Indicators =
            [
                new IndicatorResult("2.3.1-1", "オンライン化した行政手続の数（累計）", "手続", 350, 318),
                new IndicatorResult("2.3.1-2", "電子申請の利用率", "%", 45.5m, 38.25m),
                new IndicatorResult("2.3.1-3", "共同利用を行う市町村の数", "団体", 25, null),
                new IndicatorResult("2.3.1-4", "押印を廃止した様式の数", "件", null, 124),
            ],
            Approvals = approvals,
            Corrections =
            [
                new Correction("木村 美穂", new DateTime(2025, 11, 18, 6, 0, 0, DateTimeKind.Utc), "指標2の単位の誤記（「件」→「%」）を修正した。実績値に変更はない。"),
            ],
            Attachments =
            [
                Attachment(JapaneseFileName, 2, 48_213, "工藤 健太", start),
                Attachment("令和7年度_上半期_進捗状況説明資料.pdf", 1, 2_345_678, "工藤 健太", start.AddDays(1)),
                Attachment("市町村共同利用_協定書（写し）.pdf", 3, 512, Deputy, start.AddDays(2)),
            ],
            Journal = new JournalSeal(approvals.Count + 12, Hex("journal head"), "journal-2025-04"),
        };
    }

    public static DecisionRecord Minimal() => new()
    {
        MeasureCode = "1.1.1",
        MeasureTitle = "職員の働き方改革",
        FiscalYear = 2026,
        DepartmentName = "総務部",
        SectionName = "人事課",
        RouteTitle = "標準ルート",
        Status = "作成中",
        ReportId = Guid.Parse("00000000-0000-4000-8000-000000000001"),
        Version = 1,
        GeneratedAt = new DateTime(2026, 5, 1, 0, 0, 0, DateTimeKind.Utc),
        Journal = new JournalSeal(1, Hex("open"), "journal-2026-04"),
    };

    public static string Hex(string seed) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)));

    private static AttachedFile Attachment(string name, int version, long size, string by, DateTime at) =>
        new(name, version, size, Hex(name), by, at);
}
