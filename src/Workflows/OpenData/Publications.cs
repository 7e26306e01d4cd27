using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.OpenData;

/// <summary>
/// Publishing a fiscal year's accepted reports as open data, and withdrawing it. Publishing is a
/// deliberate act of an HQ administrator, recorded in the signed audit trail with the snapshot's hash;
/// the snapshot is taken then and served unchanged until withdrawn. A name or e-mail address of any
/// account that slipped into a report's text is blanked out in the snapshot (and counted).
/// </summary>
public sealed partial class Publications(ReformDbContext db, TimeProvider time, JournalKeys keys, IOptions<OpenDataOptions> options, IMemoryCache cache)
{
    public const string PublishedKind = "publication.published";
    public const string WithdrawnKind = "publication.withdrawn";

    /// <summary>What replaces a person's name or an e-mail address in published text.</summary>
    public const string Redacted = "（氏名等は削除しました）";

    public async Task<Outcome<PublicationView>> PublishAsync(Caller caller, int? fiscalYear, CancellationToken cancellationToken)
    {
        if (caller.Role != Role.HqAdmin)
        {
            return Outcome.Forbidden("Only an HQ administrator publishes open data.");
        }

        if (fiscalYear is not { } year)
        {
            return Outcome.Invalid("fiscalYear", "required: the fiscal year to publish, e.g. 2025");
        }

        var plan = await db.Plans.AsNoTracking().Select(p => new { p.FromFiscalYear, p.ToFiscalYear }).SingleOrDefaultAsync(cancellationToken);
        if (plan is null || year < plan.FromFiscalYear || year > plan.ToFiscalYear)
        {
            return Outcome.Invalid("fiscalYear", plan is null ? "no plan has been imported" : $"a fiscal year of the plan, {plan.FromFiscalYear} to {plan.ToFiscalYear}");
        }

        if (await db.Publications.AnyAsync(p => p.FiscalYear == year && p.WithdrawnAt == null, cancellationToken))
        {
            return Outcome.Conflict($"FY{year} is published already; withdraw it first to publish it again.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        now = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        var (set, redactions) = await SnapshotAsync(year, now, cancellationToken);
        if (set.Measures.Count == 0)
        {
            return Outcome.Conflict($"FY{year} has no accepted reports yet: nothing to publish.");
        }

        var snapshot = JsonSerializer.Serialize(set, OpenDataSet.Json);
        var publication = new Publication
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()), FiscalYear = year, PublishedAt = now, PublishedById = caller.UserId, PublishedBy = caller.Name,
            MeasureCount = set.Measures.Count, Redactions = redactions, Sha256 = Hash(snapshot), Snapshot = snapshot,
        };
        try
        {
            await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, PublishedKind, publication.Id.ToString(),
                new { fiscalYear = year, measures = publication.MeasureCount, redactions, sha256 = publication.Sha256 }, () => db.Publications.Add(publication), cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The one current publication per year (a unique index): someone else published it meanwhile.
            db.ChangeTracker.Clear();
            return Outcome.Conflict($"FY{year} was published by someone else at the same moment.");
        }

        return Outcome.Ok(View(publication));
    }

    /// <summary>Withdraws the year's current publication: its files are gone at once (404); the record of it stays.</summary>
    public async Task<Outcome<Done>> WithdrawAsync(Caller caller, int fiscalYear, CancellationToken cancellationToken)
    {
        if (caller.Role != Role.HqAdmin)
        {
            return Outcome.Forbidden("Only an HQ administrator withdraws open data.");
        }

        var publication = await db.Publications.SingleOrDefaultAsync(p => p.FiscalYear == fiscalYear && p.WithdrawnAt == null, cancellationToken);
        if (publication is null)
        {
            return Outcome.NotFound($"FY{fiscalYear} is not published.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, WithdrawnKind, publication.Id.ToString(),
            new { fiscalYear, sha256 = publication.Sha256 }, () =>
            {
                publication.WithdrawnAt = now;
                publication.WithdrawnById = caller.UserId;
                publication.WithdrawnBy = caller.Name;
            }, cancellationToken);
        return Outcome.Done;
    }

    /// <summary>Every publication, withdrawn ones too, newest year first: HQ's record of what was public when.</summary>
    /// <summary>How many reports of each year are accepted now: what publishing the year would take.</summary>
    public async Task<IReadOnlyDictionary<int, int>> AcceptedCountsAsync(IReadOnlyCollection<int> years, CancellationToken cancellationToken) =>
        (await db.ProgressReports.AsNoTracking().Where(r => years.Contains(r.FiscalYear) && r.Status == RouteDefinition.AcceptedStatus)
            .GroupBy(r => r.FiscalYear).Select(g => new { Year = g.Key, Count = g.Count() }).ToListAsync(cancellationToken))
        .ToDictionary(g => g.Year, g => g.Count);

    public async Task<IReadOnlyList<PublicationView>> HistoryAsync(CancellationToken cancellationToken) =>
        (await db.Publications.AsNoTracking().OrderByDescending(p => p.FiscalYear).ThenBy(p => p.WithdrawnAt != null).ThenByDescending(p => p.PublishedAt)
            .Select(p => new Publication
            {
                Id = p.Id, FiscalYear = p.FiscalYear, PublishedAt = p.PublishedAt, PublishedById = p.PublishedById, PublishedBy = p.PublishedBy,
                WithdrawnAt = p.WithdrawnAt, WithdrawnBy = p.WithdrawnBy, MeasureCount = p.MeasureCount, Redactions = p.Redactions, Sha256 = p.Sha256, Snapshot = "",
            })
            .ToListAsync(cancellationToken)).Select(View).ToList();

    /// <summary>The years published now, newest first, with their files' addresses: what anyone may list.</summary>
    public async Task<IReadOnlyList<PublishedYear>> PublishedAsync(CancellationToken cancellationToken) =>
        (await db.Publications.AsNoTracking().Where(p => p.WithdrawnAt == null).OrderByDescending(p => p.FiscalYear)
            .Select(p => new { p.FiscalYear, p.PublishedAt, p.MeasureCount }).ToListAsync(cancellationToken))
        .Select(p =>
        {
            var root = $"/open-data/{p.FiscalYear.ToString(CultureInfo.InvariantCulture)}";
            return new PublishedYear(p.FiscalYear, p.PublishedAt, p.MeasureCount, $"{root}/progress.csv", $"{root}/progress.json", $"{root}/fields.json");
        })
        .ToList();

    /// <summary>
    /// The year's current files, or null when it is not published. Each request asks the database which
    /// publication is current (so a withdrawal holds at once on every host); the rendered files of that
    /// publication, which never change, come from memory.
    /// </summary>
    public async Task<OpenDataFiles?> FilesAsync(int fiscalYear, CancellationToken cancellationToken)
    {
        var current = await db.Publications.AsNoTracking().Where(p => p.FiscalYear == fiscalYear && p.WithdrawnAt == null)
            .Select(p => new { p.Id, p.Sha256 }).SingleOrDefaultAsync(cancellationToken);
        if (current is null)
        {
            return null;
        }

        if (cache.TryGetValue(("open-data", current.Id), out OpenDataFiles? files) && files is not null)
        {
            return files;
        }

        var snapshot = await db.Publications.AsNoTracking().Where(p => p.Id == current.Id).Select(p => p.Snapshot).SingleAsync(cancellationToken);
        files = OpenDataFiles.From(current.Id, current.Sha256, snapshot);
        cache.Set(("open-data", current.Id), files, new MemoryCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(30) });
        return files;
    }

    /// <summary>The accepted reports of the year as they stand now, with the plan's and the organisation's names.</summary>
    private async Task<(OpenDataSet Set, int Redactions)> SnapshotAsync(int year, DateTime now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var reports = await db.ProgressReports.AsNoTracking()
            .Where(r => r.FiscalYear == year && r.Status == RouteDefinition.AcceptedStatus)
            .Join(db.Measures, r => r.MeasureId, m => m.Id, (r, m) => new { Report = r, Measure = m })
            .ToListAsync(cancellationToken);
        var items = await db.PlanItems.AsNoTracking().ToDictionaryAsync(i => i.Code, cancellationToken);
        var areas = await db.Areas.AsNoTracking().ToDictionaryAsync(a => a.Code, cancellationToken);
        var viewpoints = await db.Viewpoints.AsNoTracking().ToDictionaryAsync(v => v.Code, cancellationToken);
        var sections = await db.Sections.AsNoTracking().ToDictionaryAsync(s => s.Code, s => s.Name, cancellationToken);
        var departments = await db.Departments.AsNoTracking().ToDictionaryAsync(d => d.Code, d => d.Name, cancellationToken);
        var people = await PeopleAsync(cancellationToken);
        var redactions = 0;
        string? Clean(string? text)
        {
            if (text is null)
            {
                return null;
            }

            var (cleaned, count) = Redact(text, people);
            redactions += count;
            return cleaned;
        }

        var measures = new List<OpenDataMeasure>(reports.Count);
        foreach (var x in reports.OrderBy(x => x.Report.MeasureCode, StringComparer.Ordinal))
        {
            var report = x.Report;
            var item = items[report.ItemCode];
            var area = areas[item.AreaCode];
            var viewpoint = viewpoints[area.ViewpointCode];
            var actuals = report.Content.Indicators.ToDictionary(i => i.Code, i => i.Actual, StringComparer.Ordinal);
            var progress = report.Content.Progress?.ToString();
            measures.Add(new OpenDataMeasure(
                year, viewpoint.Code, viewpoint.Title, area.Code, area.Title, item.Code, item.Title, report.MeasureCode, x.Measure.Title,
                report.DepartmentCode, departments.GetValueOrDefault(report.DepartmentCode, report.DepartmentCode),
                report.SectionCode, sections.GetValueOrDefault(report.SectionCode, report.SectionCode),
                progress, progress is null ? null : OpenDataFiles.ProgressLabels.GetValueOrDefault(progress),
                Clean(report.Content.Achievements), Clean(report.Content.NextSteps),
                report.AcceptedAt is { } accepted ? FiscalYear.JapanDate(new DateTimeOffset(accepted, TimeSpan.Zero)) : null,
                x.Measure.Indicators.Select(i => new OpenDataIndicator(i.Code, i.Title, i.Unit, i.Targets.TryGetValue(year, out var t) ? t : null, actuals.GetValueOrDefault(i.Code))).ToList()));
        }

        return (new OpenDataSet(year, now, settings.Publisher, settings.LocalGovernmentCode, settings.License, measures), redactions);
    }

    /// <summary>Every account's display name (also without its spaces) and e-mail address, longest first, so a longer name wins.</summary>
    private async Task<IReadOnlyList<string>> PeopleAsync(CancellationToken cancellationToken)
    {
        var users = await db.Users.AsNoTracking().Select(u => new { u.DisplayName, u.Email }).ToListAsync(cancellationToken);
        return users.SelectMany(u => new[] { u.DisplayName, u.DisplayName.Replace(" ", "", StringComparison.Ordinal).Replace("\u3000", "", StringComparison.Ordinal), u.Email ?? "" })
            .Where(n => n.Trim().Length >= 2)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(n => n.Length)
            .ToList();
    }

    /// <summary>Blanks out e-mail addresses (anyone's) and the names of the accounts.</summary>
    internal static (string Text, int Count) Redact(string text, IReadOnlyList<string> people)
    {
        var count = 0;
        text = EmailPattern().Replace(text, _ =>
        {
            count++;
            return Redacted;
        });
        foreach (var name in people)
        {
            var at = text.IndexOf(name, StringComparison.OrdinalIgnoreCase);
            while (at >= 0)
            {
                text = string.Concat(text.AsSpan(0, at), Redacted, text.AsSpan(at + name.Length));
                count++;
                at = text.IndexOf(name, at + Redacted.Length, StringComparison.OrdinalIgnoreCase);
            }
        }

        return (text, count);
    }

    private static string Hash(string snapshot) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(snapshot)));

    private static PublicationView View(Publication p) =>
        new(p.Id, p.FiscalYear, p.PublishedAt, p.PublishedBy, p.WithdrawnAt, p.WithdrawnBy, p.MeasureCount, p.Redactions, p.Sha256);

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex EmailPattern();
}
