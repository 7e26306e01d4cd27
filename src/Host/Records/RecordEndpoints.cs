using AomoriReform.Host.Api;
using AomoriReform.Host.Identity;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Records;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace AomoriReform.Host.Records;

/// <summary>
/// Records (API.md, "Additions for e-approval practice and records"): a report's evidence
/// attachments, its corrections after acceptance, its decision record as a PDF, and a fiscal
/// year's decision records as one ZIP.
/// </summary>
public static class RecordEndpoints
{
    /// <summary>Room for the multipart framing around the file.</summary>
    private const long MultipartOverhead = 64 * 1024;

    public sealed record CorrectionRequest(string? Text);

    public static WebApplication MapRecords(this WebApplication app)
    {
        var reports = app.MapGroup("/api/reports/{id:guid}").WithTags("Records");
        var upload = new FileUpload(
            context => context.RequestServices.GetRequiredService<IOptions<AttachmentOptions>>().Value.MaxFileBytes + MultipartOverhead,
            multipartPart: "file", defaultLimit: new AttachmentOptions().MaxFileBytes + MultipartOverhead);
        reports.MapPost("/attachments", UploadAsync).RequireAuthorization(Policies.SignedIn).WithMetadata(upload)
            .WithSummary("添付資料: attaches a file (multipart/form-data, part 'file') while the report is editable; the type is told by the content")
            .Produces<AttachmentView>(StatusCodes.Status201Created).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        reports.MapGet("/attachments", ListAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The report's attached files: the latest version of each").Produces<IReadOnlyList<AttachmentView>>();
        reports.MapGet("/attachments/{attachmentId:guid}", DownloadAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The file (the latest version, or ?version=n, which also reads a deleted file's kept versions), as an attachment download")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream");
        reports.MapPut("/attachments/{attachmentId:guid}", ReplaceAsync).RequireAuthorization(Policies.SignedIn).WithMetadata(upload)
            .WithSummary("Replaces the file with a new version (multipart/form-data, part 'file'); earlier versions are kept")
            .Produces<AttachmentView>().ProducesProblem(StatusCodes.Status409Conflict);
        reports.MapDelete("/attachments/{attachmentId:guid}", DeleteAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("Takes the file off the report's list while it is editable; its versions are kept for the journal");
        reports.MapGet("/attachments/{attachmentId:guid}/versions", VersionsAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("Every version of the file, oldest first").Produces<IReadOnlyList<AttachmentView>>();
        reports.MapPost("/corrections", CorrectAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("軽微な修正: HQ appends a correction note to an accepted report (journaled; the report itself never changes)")
            .Produces<CorrectionView>(StatusCodes.Status201Created);
        reports.MapGet("/corrections", CorrectionsAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("The corrections appended after acceptance, oldest first").Produces<IReadOnlyList<CorrectionView>>();
        reports.MapGet("/pdf", PdfAsync).RequireAuthorization(Policies.SignedIn)
            .WithSummary("決裁文書: the decision record as a PDF (content, indicators, approval record with 代決 and 後閲, files and their SHA-256, corrections, journal head)")
            .Produces(StatusCodes.Status200OK, contentType: "application/pdf");
        app.MapGet("/api/records/{fiscalYear:int}/export", ExportAsync).WithTags("Records").RequireAuthorization(Policies.HqReaders)
            .WithSummary("A fiscal year's decision records: a ZIP of one PDF per accepted report and index.csv, streamed")
            .Produces(StatusCodes.Status200OK, contentType: "application/zip");
        return app;
    }

    private static async Task<IResult> UploadAsync(Guid id, HttpRequest request, CurrentCaller current, Attachments attachments, CancellationToken cancellationToken)
    {
        var caller = await current.RequireAsync(cancellationToken);
        return await WithFileAsync(request, (name, content) => attachments.UploadAsync(id, name, content, caller, cancellationToken),
            file => TypedResults.Created($"/api/reports/{id}/attachments/{file.Id}", file), cancellationToken);
    }

    private static async Task<IResult> ReplaceAsync(Guid id, Guid attachmentId, HttpRequest request, CurrentCaller current, Attachments attachments, CancellationToken cancellationToken)
    {
        var caller = await current.RequireAsync(cancellationToken);
        return await WithFileAsync(request, (name, content) => attachments.ReplaceAsync(id, attachmentId, name, content, caller, cancellationToken),
            file => TypedResults.Ok(file), cancellationToken);
    }

    private static async Task<IResult> ListAsync(Guid id, CurrentCaller current, Attachments attachments, CancellationToken cancellationToken) =>
        (await attachments.ListAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> VersionsAsync(Guid id, Guid attachmentId, CurrentCaller current, Attachments attachments, CancellationToken cancellationToken) =>
        (await attachments.VersionsAsync(id, attachmentId, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> DeleteAsync(Guid id, Guid attachmentId, CurrentCaller current, Attachments attachments, CancellationToken cancellationToken) =>
        (await attachments.DeleteAsync(id, attachmentId, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult(_ => TypedResults.NoContent());

    private static async Task<IResult> DownloadAsync(
        Guid id, Guid attachmentId, int? version, HttpResponse response, CurrentCaller current, Attachments attachments, CancellationToken cancellationToken)
    {
        if (version is < 1)
        {
            return OutcomeResults.Invalid("version", "a version number from 1");
        }

        var opened = await attachments.OpenAsync(id, attachmentId, version, await current.RequireAsync(cancellationToken), cancellationToken);
        if (opened.Failure is { } failure)
        {
            return failure.ToProblem();
        }

        var file = opened.Value;
        Offer(response, file.File.FileName);
        response.Headers.ETag = $"\"{file.File.Sha256}\"";
        return TypedResults.Stream(file.Content, file.File.ContentType);
    }

    private static async Task<IResult> PdfAsync(Guid id, HttpResponse response, CurrentCaller current, DecisionRecords records, CancellationToken cancellationToken)
    {
        var rendered = await records.RenderAsync(id, await current.RequireAsync(cancellationToken), cancellationToken);
        if (rendered.Failure is { } failure)
        {
            return failure.ToProblem();
        }

        Offer(response, rendered.Value.FileName, rendered.Value.AsciiFileName);
        return TypedResults.File(rendered.Value.Pdf, "application/pdf");
    }

    private static async Task<IResult> CorrectAsync(Guid id, CorrectionRequest request, CurrentCaller current, Corrections corrections, CancellationToken cancellationToken) =>
        (await corrections.AddAsync(id, request.Text, await current.RequireAsync(cancellationToken), cancellationToken))
            .ToResult(correction => TypedResults.Created($"/api/reports/{id}/corrections", correction));

    private static async Task<IResult> CorrectionsAsync(Guid id, CurrentCaller current, Corrections corrections, CancellationToken cancellationToken) =>
        (await corrections.ListAsync(id, await current.RequireAsync(cancellationToken), cancellationToken)).ToResult();

    private static async Task<IResult> ExportAsync(int fiscalYear, HttpResponse response, CurrentCaller current, RecordExport export, CancellationToken cancellationToken)
    {
        if (fiscalYear is < 2000 or > 2099)
        {
            return OutcomeResults.Invalid("fiscalYear", "a fiscal year from 2000 to 2099");
        }

        if (!await export.YearExistsAsync(fiscalYear, cancellationToken))
        {
            return Outcome.NotFound($"Fiscal year {fiscalYear} has not been opened (no check-in).").ToProblem();
        }

        var caller = await current.RequireAsync(cancellationToken);
        Offer(response, $"決裁文書_{new AomoriReform.Workflows.Calendar.FiscalYear(fiscalYear).ReiwaLabel}.zip", $"decision-records_FY{fiscalYear}.zip");
        return TypedResults.Stream(body => export.WriteAsync(fiscalYear, caller, body, cancellationToken), "application/zip");
    }

    /// <summary>A download: an attachment with a safe name; never sniffed (set on every response, repeated here for the record).</summary>
    private static void Offer(HttpResponse response, string fileName, string? asciiFileName = null)
    {
        response.Headers.ContentDisposition = Downloads.ContentDisposition(fileName, asciiFileName);
        response.Headers.XContentTypeOptions = "nosniff";
    }

    /// <summary>
    /// Reads a multipart/form-data body part by part without buffering it, and hands the part named
    /// <c>file</c> to <paramref name="store"/> as a stream; the other parts are skipped.
    /// </summary>
    private static async Task<IResult> WithFileAsync(
        HttpRequest request, Func<string?, Stream, Task<Outcome<AttachmentView>>> store, Func<AttachmentView, IResult> ok, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the file as multipart/form-data in a part named 'file'.");
        }

        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 70)
        {
            return OutcomeResults.Invalid("file", "the multipart body has no valid boundary");
        }

        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase)
                    || HeaderUtilities.RemoveQuotes(disposition.Name).Value != "file")
                {
                    continue;
                }

                var name = disposition.FileNameStar.HasValue ? disposition.FileNameStar.Value : HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                return (await store(name, section.Body)).ToResult(ok);
            }

            return OutcomeResults.Invalid("file", "required: a part named 'file' with the file");
        }
        catch (Exception e) when (e is InvalidDataException || (e is IOException && e is not BadHttpRequestException))
        {
            return OutcomeResults.Invalid("file", "the multipart body is malformed or cut short");
        }
    }
}
