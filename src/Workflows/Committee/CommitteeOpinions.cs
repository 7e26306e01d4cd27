using System.Security.Cryptography;
using System.Text;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Reports;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Committee;

/// <summary>A committee member's opinion: on a measure, on an item, or (neither) on the whole year.</summary>
public sealed record OpinionRequest(int? FiscalYear, string? MeasureCode, string? ItemCode, string? Text);

/// <summary>HQ's current response (対応方針) to an opinion and how many times it was written.</summary>
public sealed record OpinionResponseView(string Text, string Author, DateTime At, int Revision);

/// <summary>An opinion as the API shows it; <c>response</c> is null while HQ has not answered.</summary>
public sealed record OpinionView(
    Guid Id, int FiscalYear, string? MeasureCode, string? ItemCode, string Text, string Author, DateTime At, OpinionResponseView? Response)
{
    /// <summary>The title of the measure or item it is about; null for the whole year.</summary>
    public string? SubjectTitle { get; init; }

    public bool Answered => Response is not null;
}

/// <summary>Which opinions to list: a year (or all), only those without a response, one measure.</summary>
public sealed record OpinionFilter(int? FiscalYear, bool Unanswered = false, string? MeasureCode = null);

/// <summary>The previous year's opinions on a report's measure and on its item, with HQ's responses.</summary>
public sealed record PreviousYearOpinions(int FiscalYear, IReadOnlyList<OpinionView> Opinions);

/// <summary>An accepted report as the committee's page lists it, under its viewpoint.</summary>
public sealed record AcceptedReport(Guid Id, string MeasureCode, string MeasureTitle, string ItemCode, string ViewpointCode, string ViewpointTitle, string SectionName);

/// <summary>
/// The committee's opinions (意見) and HQ's responses (対応方針). Members of the committee (role
/// Committee) write; HQ (reviewers and administrators) answer and may revise an answer, each revision
/// kept. Every opinion and response is an event of the signed audit trail, with the SHA-256 of its
/// text, so a text changed in the database afterwards no longer matches its event.
/// </summary>
public sealed class CommitteeOpinions(ReformDbContext db, TimeProvider time, JournalKeys keys, ReportWorkflow workflow)
{
    public const int MaxTextLength = 4000;
    public const string WrittenKind = "opinion.written";
    public const string AnsweredKind = "opinion.answered";

    public static bool MayRespond(Caller caller) => caller.Role is Role.HqReviewer or Role.HqAdmin;

    /// <summary>A committee member writes an opinion. Bad input names its field; nothing is stored then.</summary>
    public async Task<Outcome<OpinionView>> WriteAsync(Caller caller, OpinionRequest request, CancellationToken cancellationToken)
    {
        if (caller.Role != Role.Committee)
        {
            return Outcome.Forbidden("Only members of the reform promotion committee write opinions.");
        }

        if (request.FiscalYear is not { } year)
        {
            return Outcome.Invalid("fiscalYear", "required: the fiscal year the opinion is about, e.g. 2025");
        }

        var plan = await db.Plans.AsNoTracking().Select(p => new { p.FromFiscalYear, p.ToFiscalYear }).SingleOrDefaultAsync(cancellationToken);
        if (plan is null || year < plan.FromFiscalYear || year > plan.ToFiscalYear)
        {
            return Outcome.Invalid("fiscalYear", plan is null ? "no plan has been imported" : $"a fiscal year of the plan, {plan.FromFiscalYear} to {plan.ToFiscalYear}");
        }

        var measureCode = string.IsNullOrEmpty(request.MeasureCode) ? null : request.MeasureCode;
        var itemCode = string.IsNullOrEmpty(request.ItemCode) ? null : request.ItemCode;
        if (measureCode is not null && itemCode is not null)
        {
            return Outcome.Invalid("itemCode", "give measureCode or itemCode, not both (neither: an opinion on the whole year)");
        }

        if (measureCode is not null && (measureCode.Length > 32 || !await db.Measures.AnyAsync(m => m.Code == measureCode, cancellationToken)))
        {
            return Outcome.Invalid("measureCode", "no measure of the plan has this code");
        }

        if (itemCode is not null && (itemCode.Length > 16 || !await db.PlanItems.AnyAsync(i => i.Code == itemCode, cancellationToken)))
        {
            return Outcome.Invalid("itemCode", "no item of the plan has this code");
        }

        var text = Clean(request.Text);
        if (TextProblem(text) is { } problem)
        {
            return Outcome.Invalid("text", problem);
        }

        var now = time.GetUtcNow().UtcDateTime;
        var opinion = new CommitteeOpinion
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()), FiscalYear = year, MeasureCode = measureCode, ItemCode = itemCode, Text = text!,
            AuthorId = caller.UserId, Author = caller.Name, At = now,
        };
        await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, WrittenKind, opinion.Id.ToString(),
            new { fiscalYear = year, measureCode, itemCode, textSha256 = Sha256(opinion.Text) }, () => db.CommitteeOpinions.Add(opinion), cancellationToken);
        return Outcome.Ok(new OpinionView(opinion.Id, year, measureCode, itemCode, opinion.Text, opinion.Author, now, null)
        {
            SubjectTitle = await SubjectTitleAsync(measureCode, itemCode, cancellationToken),
        });
    }

    /// <summary>HQ writes the response to an opinion, or revises it (a new revision; the earlier ones are kept).</summary>
    public async Task<Outcome<OpinionView>> RespondAsync(Caller caller, Guid id, string? text, CancellationToken cancellationToken)
    {
        if (!MayRespond(caller))
        {
            return Outcome.Forbidden("Only HQ (reviewers and administrators) responds to the committee's opinions.");
        }

        text = Clean(text);
        if (TextProblem(text) is { } problem)
        {
            return Outcome.Invalid("text", problem);
        }

        var opinion = await db.CommitteeOpinions.AsNoTracking().SingleOrDefaultAsync(o => o.Id == id, cancellationToken);
        if (opinion is null)
        {
            return Outcome.NotFound("No such opinion.");
        }

        var now = time.GetUtcNow().UtcDateTime;
        var revision = 1 + (await db.OpinionResponses.Where(r => r.OpinionId == id).MaxAsync(r => (int?)r.Revision, cancellationToken) ?? 0);
        var response = new OpinionResponse { OpinionId = id, Revision = revision, Text = text!, AuthorId = caller.UserId, Author = caller.Name, At = now };
        try
        {
            await AuditTrail.SaveWithAsync(db, keys, now, caller.UserId, caller.Name, AnsweredKind, id.ToString(),
                new { revision, textSha256 = Sha256(response.Text) }, () => db.OpinionResponses.Add(response), cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Only a revision written by someone else at the same moment takes this number.
            db.ChangeTracker.Clear();
            return Outcome.Conflict("Someone else revised this response at the same moment. Read it again and revise it if still needed.");
        }

        return Outcome.Ok(new OpinionView(opinion.Id, opinion.FiscalYear, opinion.MeasureCode, opinion.ItemCode, opinion.Text, opinion.Author, opinion.At,
            new OpinionResponseView(response.Text, response.Author, now, revision))
        {
            SubjectTitle = await SubjectTitleAsync(opinion.MeasureCode, opinion.ItemCode, cancellationToken),
        });
    }

    /// <summary>The opinions HQ, the committee and auditors read: a year's (or all), oldest first within a year, newest year first.</summary>
    public async Task<Outcome<IReadOnlyList<OpinionView>>> ListAsync(Caller caller, OpinionFilter filter, CancellationToken cancellationToken)
    {
        if (!Visibility.SeesEverything(caller))
        {
            return Outcome.Forbidden("The committee's opinions are for the committee, HQ and auditors; a section sees those on its own measures on its report.");
        }

        var opinions = db.CommitteeOpinions.AsNoTracking();
        if (filter.FiscalYear is { } year)
        {
            opinions = opinions.Where(o => o.FiscalYear == year);
        }

        if (filter.MeasureCode is { } measure)
        {
            opinions = opinions.Where(o => o.MeasureCode == measure);
        }

        if (filter.Unanswered)
        {
            opinions = opinions.Where(o => !db.OpinionResponses.Any(r => r.OpinionId == o.Id));
        }

        return Outcome.Ok(await ViewsAsync(await opinions.OrderByDescending(o => o.FiscalYear).ThenBy(o => o.At).ThenBy(o => o.Id).Take(5000).ToListAsync(cancellationToken), cancellationToken));
    }

    /// <summary>
    /// For a report's page and form: the opinions of the fiscal year before the report's, on its
    /// measure and on its item, with HQ's responses. NotFound when the caller may not see the report.
    /// </summary>
    public async Task<Outcome<PreviousYearOpinions>> PreviousForReportAsync(Guid reportId, Caller caller, CancellationToken cancellationToken)
    {
        if (await workflow.LoadAsync(reportId, caller, tracking: false, cancellationToken) is not { } found)
        {
            return Outcome.NotFound("No such report.");
        }

        var report = found.Report;
        var previous = report.FiscalYear - 1;
        var opinions = await db.CommitteeOpinions.AsNoTracking()
            .Where(o => o.FiscalYear == previous && (o.MeasureCode == report.MeasureCode || o.ItemCode == report.ItemCode))
            .OrderBy(o => o.MeasureCode == null).ThenBy(o => o.At).ThenBy(o => o.Id)
            .ToListAsync(cancellationToken);
        return Outcome.Ok(new PreviousYearOpinions(previous, await ViewsAsync(opinions, cancellationToken)));
    }

    /// <summary>The accepted reports of a year, by measure code, each with its viewpoint: what the committee reads.</summary>
    public async Task<IReadOnlyList<AcceptedReport>> AcceptedAsync(int fiscalYear, CancellationToken cancellationToken)
    {
        var reports = await db.ProgressReports.AsNoTracking()
            .Where(r => r.FiscalYear == fiscalYear && r.Status == Engine.RouteDefinition.AcceptedStatus)
            .Join(db.Measures, r => r.MeasureId, m => m.Id, (r, m) => new { r.Id, r.MeasureCode, m.Title, r.ItemCode, r.SectionCode })
            .ToListAsync(cancellationToken);
        var areas = await db.Areas.AsNoTracking().ToDictionaryAsync(a => a.Code, a => a.ViewpointCode, cancellationToken);
        var items = await db.PlanItems.AsNoTracking().ToDictionaryAsync(i => i.Code, i => i.AreaCode, cancellationToken);
        var viewpoints = await db.Viewpoints.AsNoTracking().ToDictionaryAsync(v => v.Code, v => v.Title, cancellationToken);
        var sections = await db.Sections.AsNoTracking().ToDictionaryAsync(s => s.Code, s => s.Name, cancellationToken);
        return reports.OrderBy(r => r.MeasureCode, StringComparer.Ordinal).Select(r =>
        {
            var viewpoint = areas[items[r.ItemCode]];
            return new AcceptedReport(r.Id, r.MeasureCode, r.Title, r.ItemCode, viewpoint, viewpoints[viewpoint], sections.GetValueOrDefault(r.SectionCode, r.SectionCode));
        }).ToList();
    }

    /// <summary>The plan's items, in order, for the choice of what an opinion is about.</summary>
    public async Task<IReadOnlyList<(string Code, string Title)>> ItemsAsync(CancellationToken cancellationToken) =>
        (await db.PlanItems.AsNoTracking().OrderBy(i => i.Order).Select(i => new { i.Code, i.Title }).ToListAsync(cancellationToken)).Select(i => (i.Code, i.Title)).ToList();

    /// <summary>Required, at most <see cref="MaxTextLength"/> characters, line breaks and tabs but no other control characters.</summary>
    public static string? TextProblem(string? text) =>
        text is null ? "required"
        : text.Length > MaxTextLength || text.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')) ? $"at most {MaxTextLength} characters, no control characters"
        : null;

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private async Task<IReadOnlyList<OpinionView>> ViewsAsync(IReadOnlyList<CommitteeOpinion> opinions, CancellationToken cancellationToken)
    {
        if (opinions.Count == 0)
        {
            return [];
        }

        var ids = opinions.Select(o => o.Id).ToList();
        var latest = (await db.OpinionResponses.AsNoTracking().Where(r => ids.Contains(r.OpinionId)).ToListAsync(cancellationToken))
            .GroupBy(r => r.OpinionId)
            .ToDictionary(g => g.Key, g => g.MaxBy(r => r.Revision)!);
        var measureCodes = opinions.Where(o => o.MeasureCode is not null).Select(o => o.MeasureCode!).Distinct().ToList();
        var itemCodes = opinions.Where(o => o.ItemCode is not null).Select(o => o.ItemCode!).Distinct().ToList();
        var measures = await db.Measures.AsNoTracking().Where(m => measureCodes.Contains(m.Code)).ToDictionaryAsync(m => m.Code, m => m.Title, cancellationToken);
        var items = await db.PlanItems.AsNoTracking().Where(i => itemCodes.Contains(i.Code)).ToDictionaryAsync(i => i.Code, i => i.Title, cancellationToken);
        return opinions.Select(o => new OpinionView(o.Id, o.FiscalYear, o.MeasureCode, o.ItemCode, o.Text, o.Author, o.At,
                latest.TryGetValue(o.Id, out var r) ? new OpinionResponseView(r.Text, r.Author, r.At, r.Revision) : null)
            {
                SubjectTitle = o.MeasureCode is { } m ? measures.GetValueOrDefault(m) : o.ItemCode is { } i ? items.GetValueOrDefault(i) : null,
            })
            .ToList();
    }

    private async Task<string?> SubjectTitleAsync(string? measureCode, string? itemCode, CancellationToken cancellationToken) =>
        measureCode is not null ? await db.Measures.Where(m => m.Code == measureCode).Select(m => m.Title).SingleOrDefaultAsync(cancellationToken)
        : itemCode is not null ? await db.PlanItems.Where(i => i.Code == itemCode).Select(i => i.Title).SingleOrDefaultAsync(cancellationToken)
        : null;
}
