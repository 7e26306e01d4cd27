using System.Globalization;
using System.Text;
using System.Text.Json;
using AomoriReform.Workflows.Files;

namespace AomoriReform.Workflows.OpenData;

/// <summary>A field of the dataset: its JSON name, its CSV header (Japanese label), its type and what it means.</summary>
public sealed record OpenDataField(string Name, string Label, string Type, string Description);

/// <summary>The field dictionary (項目定義) of one published year, with how the CSV is written.</summary>
public sealed record FieldGuide(int FiscalYear, DateTime PublishedAt, string Publisher, string License, CsvFormat Csv, IReadOnlyList<OpenDataField> Fields);

/// <summary>How the CSV file is written.</summary>
public sealed record CsvFormat(string Encoding, bool ByteOrderMark, string LineBreak, bool HeaderRow, string RecordsAre, string Dates, string Numbers, string Empty, string Formulas);

/// <summary>Counts of the reports of a group (a viewpoint, an area, the year) by progress status.</summary>
public sealed record ProgressCounts(string Code, string Title, int OnTrack, int MostlyOnTrack, int Delayed, int NotStarted)
{
    public int Total => OnTrack + MostlyOnTrack + Delayed + NotStarted;
}

/// <summary>A viewpoint's counts and its areas' counts.</summary>
public sealed record ViewpointProgress(ProgressCounts Counts, IReadOnlyList<ProgressCounts> Areas);

/// <summary>The published year's progress by viewpoint and area, for the residents' page.</summary>
public sealed record ProgressSummary(ProgressCounts Total, IReadOnlyList<ViewpointProgress> Viewpoints);

/// <summary>
/// The files of one publication, rendered once from its snapshot: the JSON as stored, the CSV (one
/// row per report, Japanese headers, UTF-8 with a BOM, CRLF) and the field dictionary, each with its
/// ETag derived from the snapshot's hash.
/// </summary>
public sealed class OpenDataFiles
{
    /// <summary>The progress statuses in Japanese, as the data and the residents' page write them.</summary>
    public static readonly IReadOnlyDictionary<string, string> ProgressLabels = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["OnTrack"] = "順調", ["MostlyOnTrack"] = "おおむね順調", ["Delayed"] = "遅れ", ["NotStarted"] = "未着手",
    };

    private sealed record Column(string Name, string Label, string Type, string Description, Func<OpenDataSet, OpenDataMeasure, string> Value);

    private static readonly Column[] Columns =
    [
        new("localGovernmentCode", "全国地方公共団体コード", "string", "公開する地方公共団体の全国地方公共団体コード（6桁、検査数字を含む）。JSONでは最上位の項目。", (s, _) => s.LocalGovernmentCode),
        new("publisher", "地方公共団体名", "string", "公開する地方公共団体の名称。JSONでは最上位の項目。", (s, _) => s.Publisher),
        new("fiscalYear", "年度", "integer", "報告の対象年度（4月1日に始まる年度を西暦の開始年で表す。2025は令和7年度）。", (_, m) => Int(m.FiscalYear)),
        new("viewpointCode", "視点コード", "string", "行財政改革大綱の視点（5つ）のコード。", (_, m) => m.ViewpointCode),
        new("viewpointTitle", "視点", "string", "視点の名称。", (_, m) => m.ViewpointTitle),
        new("areaCode", "取組分野コード", "string", "取組分野のコード（視点.分野）。", (_, m) => m.AreaCode),
        new("areaTitle", "取組分野", "string", "取組分野の名称。", (_, m) => m.AreaTitle),
        new("itemCode", "取組項目コード", "string", "取組項目のコード（視点.分野.項目）。", (_, m) => m.ItemCode),
        new("itemTitle", "取組項目", "string", "取組項目の名称。", (_, m) => m.ItemTitle),
        new("measureCode", "取組コード", "string", "行動計画の取組のコード。年度をまたいで同じ取組は同じコード。", (_, m) => m.MeasureCode),
        new("measureTitle", "取組名", "string", "取組の名称。", (_, m) => m.MeasureTitle),
        new("departmentCode", "部局コード", "string", "取組を担当する部局のコード（英小文字）。", (_, m) => m.DepartmentCode),
        new("departmentName", "部局名", "string", "取組を担当する部局の名称（公開時点）。", (_, m) => m.DepartmentName),
        new("sectionCode", "担当課コード", "string", "取組を担当する課のコード（英小文字）。", (_, m) => m.SectionCode),
        new("sectionName", "担当課名", "string", "取組を担当する課の名称（公開時点）。", (_, m) => m.SectionName),
        new("progress", "進捗状況コード", "string", "進捗状況のコード。OnTrack（順調）、MostlyOnTrack（おおむね順調）、Delayed（遅れ）、NotStarted（未着手）のいずれか。", (_, m) => m.Progress ?? ""),
        new("progressLabel", "進捗状況", "string", "進捗状況（順調、おおむね順調、遅れ、未着手）。担当課が評価し、推進本部事務局が受理したもの。", (_, m) => m.ProgressLabel ?? ""),
        new("achievements", "取組の実績", "string", "この年度に行ったことと成果。担当課が公表用に記載し、推進本部事務局が受理した文章。", (_, m) => m.Achievements ?? ""),
        new("nextSteps", "今後の取組", "string", "来年度以降に行うこと。担当課が記載し、推進本部事務局が受理した文章。", (_, m) => m.NextSteps ?? ""),
        new("acceptedOn", "受理日", "date", "推進本部事務局が報告を受理した日（日本時間、YYYY-MM-DD）。", (_, m) => m.AcceptedOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? ""),
    ];

    private OpenDataFiles(Guid publicationId, string sha256, OpenDataSet set, byte[] json)
    {
        PublicationId = publicationId;
        Set = set;
        Json = json;
        Csv = RenderCsv(set);
        Fields = JsonSerializer.SerializeToUtf8Bytes(Dictionary(set), OpenDataSet.Json);
        Summary = Summarise(set);
        var tag = sha256[..32];
        JsonTag = $"\"{tag}-json\"";
        CsvTag = $"\"{tag}-csv\"";
        FieldsTag = $"\"{tag}-fields\"";
    }

    public Guid PublicationId { get; }
    public OpenDataSet Set { get; }
    public byte[] Json { get; }
    public byte[] Csv { get; }
    public byte[] Fields { get; }
    public ProgressSummary Summary { get; }
    public string JsonTag { get; }
    public string CsvTag { get; }
    public string FieldsTag { get; }

    public static OpenDataFiles From(Guid publicationId, string sha256, string snapshot) =>
        new(publicationId, sha256, JsonSerializer.Deserialize<OpenDataSet>(snapshot, OpenDataSet.Json) ?? throw new InvalidOperationException($"Publication {publicationId} has an empty snapshot."),
            Encoding.UTF8.GetBytes(snapshot));

    /// <summary>How many indicator column groups the year's CSV has: as many as the measure with the most.</summary>
    public static int IndicatorColumns(OpenDataSet set) => Math.Max(1, set.Measures.Count == 0 ? 1 : set.Measures.Max(m => m.Indicators.Count));

    public static FieldGuide Dictionary(OpenDataSet set)
    {
        var fields = Columns.Select(c => new OpenDataField(c.Name, c.Label, c.Type, c.Description)).ToList();
        for (var i = 0; i < IndicatorColumns(set); i++)
        {
            var n = (i + 1).ToString(CultureInfo.InvariantCulture);
            var at = $"indicators[{i.ToString(CultureInfo.InvariantCulture)}]";
            fields.Add(new($"{at}.code", $"指標{n}_コード", "string", $"取組の{n}番目の指標のコード（取組の中で一意）。指標がなければ空欄。"));
            fields.Add(new($"{at}.title", $"指標{n}_名称", "string", $"{n}番目の指標の名称。"));
            fields.Add(new($"{at}.unit", $"指標{n}_単位", "string", $"{n}番目の指標の単位（件、%など）。"));
            fields.Add(new($"{at}.target", $"指標{n}_目標値", "decimal", $"{n}番目の指標のこの年度の目標値。小数点はピリオド、桁区切りなし。目標値がなければ空欄。"));
            fields.Add(new($"{at}.actual", $"指標{n}_実績値", "decimal", $"{n}番目の指標のこの年度の実績値（担当課の報告）。未報告なら空欄。"));
        }

        return new FieldGuide(set.FiscalYear, set.PublishedAt, set.Publisher, set.License,
            new CsvFormat("UTF-8", ByteOrderMark: true, "CRLF", HeaderRow: true, "one row per accepted progress report (1行に1件の取組)",
                "ISO 8601 (YYYY-MM-DD)", "decimal point '.', no thousands separators", "an empty cell: no value",
                "a text cell that starts with =, +, -, @, tab or ' starts with one more ' (spreadsheets would run it as a formula); the JSON has the text as written"),
            fields);
    }

    private static byte[] RenderCsv(OpenDataSet set)
    {
        var indicators = IndicatorColumns(set);
        var csv = new StringBuilder();
        var header = Columns.Select(c => c.Label).Concat(Enumerable.Range(1, indicators).SelectMany(n =>
        {
            var i = n.ToString(CultureInfo.InvariantCulture);
            return new[] { $"指標{i}_コード", $"指標{i}_名称", $"指標{i}_単位", $"指標{i}_目標値", $"指標{i}_実績値" };
        }));
        csv.AppendJoin(',', header.Select(CsvTable.Cell)).Append("\r\n");
        foreach (var measure in set.Measures)
        {
            var cells = Columns.Select(c => c.Value(set, measure)).Concat(Enumerable.Range(0, indicators).SelectMany(i =>
                i < measure.Indicators.Count && measure.Indicators[i] is { } x
                    ? new[] { x.Code, x.Title, x.Unit, Number(x.Target), Number(x.Actual) }
                    : ["", "", "", "", ""]));
            csv.AppendJoin(',', cells.Select(CsvTable.Cell)).Append("\r\n");
        }

        // With a BOM: residents open the file in Excel, which reads BOM-less UTF-8 as Shift_JIS.
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }

    private static ProgressSummary Summarise(OpenDataSet set)
    {
        ProgressCounts Count(string code, string title, IEnumerable<OpenDataMeasure> measures)
        {
            var list = measures.ToList();
            return new(code, title, list.Count(m => m.Progress == "OnTrack"), list.Count(m => m.Progress == "MostlyOnTrack"),
                list.Count(m => m.Progress == "Delayed"), list.Count(m => m.Progress == "NotStarted"));
        }

        var viewpoints = set.Measures.GroupBy(m => m.ViewpointCode).OrderBy(g => g.Key, CodeOrder.Instance)
            .Select(v => new ViewpointProgress(
                Count(v.Key, v.First().ViewpointTitle, v),
                v.GroupBy(m => m.AreaCode).OrderBy(g => g.Key, CodeOrder.Instance).Select(a => Count(a.Key, a.First().AreaTitle, a)).ToList()))
            .ToList();
        return new ProgressSummary(Count("total", "合計", set.Measures), viewpoints);
    }

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(decimal? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "";

    /// <summary>Outline codes in their natural order: 1.2 before 1.10.</summary>
    private sealed class CodeOrder : IComparer<string>
    {
        public static readonly CodeOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = (x ?? "").Split('.');
            var b = (y ?? "").Split('.');
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                var c = int.TryParse(a[i], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && int.TryParse(b[i], NumberStyles.None, CultureInfo.InvariantCulture, out var q)
                    ? p.CompareTo(q) : string.CompareOrdinal(a[i], b[i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return a.Length.CompareTo(b.Length);
        }
    }
}
