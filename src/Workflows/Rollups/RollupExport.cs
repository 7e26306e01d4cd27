using System.Globalization;
using System.Text;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Files;
using MiniExcelLibs;

namespace AomoriReform.Workflows.Rollups;

/// <summary>
/// The rollups as files for the HQ meeting and the committee: CSV in UTF-8 with a BOM (Excel
/// opens the Japanese intact) and XLSX with one sheet per grouping, titled with the 令和 label.
/// </summary>
public sealed class RollupExport(RollupQueries rollups)
{
    public static readonly (RollupDimension By, string Name)[] Groupings =
    [
        (RollupDimension.Viewpoint, "視点別"), (RollupDimension.Area, "分野別"), (RollupDimension.Item, "項目別"),
        (RollupDimension.Department, "部局別"), (RollupDimension.Section, "課別"),
    ];

    public static readonly string[] Columns = ["コード", "名称", "合計", "作成中", "差戻し", "提出済", "課長承認済", "受理", "その他の段階", "期限超過"];

    public static string Title(int fiscalYear) => $"{new FiscalYear(fiscalYear).ReiwaLabel} 行財政改革 取組の進捗状況";

    public async Task<byte[]> CsvAsync(int fiscalYear, CancellationToken cancellationToken)
    {
        var csv = new StringBuilder();
        csv.Append(CsvTable.Cell(Title(fiscalYear))).Append("\r\n");
        csv.AppendJoin(',', Columns.Prepend("区分")).Append("\r\n");
        foreach (var (by, name) in Groupings)
        {
            foreach (var row in await rollups.LiveAsync(fiscalYear, by, cancellationToken))
            {
                csv.AppendJoin(',', Cells(row).Prepend(name).Select(c => CsvTable.Cell(Convert.ToString(c, CultureInfo.InvariantCulture)!))).Append("\r\n");
            }
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }

    public async Task<byte[]> XlsxAsync(int fiscalYear, CancellationToken cancellationToken)
    {
        var sheets = new Dictionary<string, object>();
        foreach (var (by, name) in Groupings)
        {
            var rows = (await rollups.LiveAsync(fiscalYear, by, cancellationToken))
                .Select(row => (IDictionary<string, object>)Columns.Zip(Cells(row)).ToDictionary(p => p.First, p => p.Second))
                .ToList();
            sheets[$"{new FiscalYear(fiscalYear).ReiwaLabel} {name}"] = rows;
        }

        using var stream = new MemoryStream();
        await stream.SaveAsAsync(sheets, cancellationToken: cancellationToken);
        return stream.ToArray();
    }

    private static object[] Cells(RollupRow row) =>
        [row.Key, row.Title, row.Total, row.Draft, row.Returned, row.Submitted, row.SectionApproved, row.Accepted, row.OtherSteps, row.Overdue];
}
