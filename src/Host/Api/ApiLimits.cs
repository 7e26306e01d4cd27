using System.Globalization;
using System.Text.Json.Nodes;
using AomoriReform.Host.Committee;
using AomoriReform.Host.Identity;
using AomoriReform.Host.Reports;
using AomoriReform.Workflows.Committee;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.OpenData;
using AomoriReform.Workflows.Records;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Reports;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AomoriReform.Host.Api;

/// <summary>
/// The limits the OpenAPI document states on fields and parameters, by JSON name, each from the
/// constant the enforcing check uses (a validator, or the database column's length where the value
/// was checked when it came in through a file). One table for every feature: a field of a new
/// endpoint with a known name (<c>code</c>, <c>title</c>, <c>text</c>, <c>fileName</c>, ...) gets
/// its limit without more code; a string with no entry here fails the contract test's lint until
/// its limit is named here.
/// </summary>
public static class ApiLimits
{
    /// <summary>Department and section codes: the database columns (Codes.IsSlug checks the form on import).</summary>
    public const int SlugLength = 64;

    /// <summary>Route and step ids, route names, 決裁区分: the database columns.</summary>
    public const int RouteIdLength = 64;

    /// <summary>Report statuses (a route's own statuses included): the database column.</summary>
    public const int StatusLength = 32;

    /// <summary>Outline codes (viewpoint, area, item): the database columns; measure codes are 32.</summary>
    public const int OutlineCodeLength = 16;
    public const int MeasureCodeLength = 32;

    /// <summary>Titles of the plan, its outline and measures, and of routes: the database columns.</summary>
    public const int TitleLength = 200;

    /// <summary>Texts the server composes (a notification, a verification's problem, an item's detail) from bounded parts.</summary>
    public const int ComposedTextLength = 1000;

    /// <summary>A route's Mermaid diagram: composed from at most a definition file's steps and titles.</summary>
    public const int DiagramLength = 64 * 1024;

    /// <summary>Problem details: title and detail as written (CustomizeProblemDetails cuts longer ones), type and instance as URIs.</summary>
    public const int ProblemTitleLength = 200;
    public const int ProblemDetailLength = 4000;
    public const int UriLength = 2048;

    /// <summary>An ISO 8601 date (<c>2026-05-29</c>) and an instant (<c>2026-05-29T01:02:03.4567890Z</c>, or with an offset).</summary>
    private const int DateLength = 10;
    private const int InstantLength = 35;
    private const int UuidLength = 36;

    private const string SlugPattern = "^[a-z0-9]+(-[a-z0-9]+)*$";
    private const string IdempotencyKeyPattern = "^[!-~]+$";

    /// <summary>What the document says of one field or parameter.</summary>
    private sealed record Limit(int? MaxLength = null, string? Pattern = null, string? Format = null, long? Min = null, long? Max = null, int? MaxItems = null, IReadOnlyList<string>? Values = null);

    private static readonly string[] Actions = [.. Enum.GetValues<ReportAction>().Where(a => a != ReportAction.Save).Select(ReportWorkflow.Name)];

    /// <summary>By JSON name (camelCase) or parameter name, for every type.</summary>
    private static readonly Dictionary<string, Limit> ByName = new(StringComparer.Ordinal)
    {
        // Identity: bounded before any hashing (PasswordSignIn), the refresh token before unprotecting it.
        ["email"] = new(PasswordSignIn.MaxEmailLength, Format: "email"),
        ["deputyEmail"] = new(PasswordSignIn.MaxEmailLength, Format: "email"),
        ["principalEmail"] = new(PasswordSignIn.MaxEmailLength, Format: "email"),
        ["password"] = new(PasswordSignIn.MaxPasswordLength, Format: "password"),
        ["refreshToken"] = new(SignInExtensions.MaxRefreshTokenLength),
        ["accessToken"] = new(SignInExtensions.MaxRefreshTokenLength),
        ["tokenType"] = new(Values: ["Bearer"]),
        ["token"] = new(SignInExtensions.MaxRefreshTokenLength),
        ["headerName"] = new(Values: [CookieRequestForgery.HeaderName]),
        ["signInPath"] = new(TitleLength, Format: "uri-reference"),
        [ReportEndpoints.IdempotencyHeader] = new(ReportEndpoints.MaxIdempotencyKeyLength, IdempotencyKeyPattern),

        // People: names from the organisation file (Codes.MaxNameLength), roles by name.
        ["displayName"] = new(Codes.MaxNameLength),
        ["principalName"] = new(Codes.MaxNameLength),
        ["deputyName"] = new(Codes.MaxNameLength),
        ["actor"] = new(Codes.MaxNameLength),
        ["onBehalfOf"] = new(Codes.MaxNameLength),
        ["author"] = new(Codes.MaxNameLength),
        ["principal"] = new(Codes.MaxNameLength),
        ["deputy"] = new(Codes.MaxNameLength),
        ["submittedBy"] = new(Codes.MaxNameLength),
        ["uploadedBy"] = new(Codes.MaxNameLength),
        ["openedBy"] = new(Codes.MaxNameLength),
        ["roles"] = new(MaxItems: 1, Values: Enum.GetNames<Role>()),
        ["principalRole"] = new(Values: Enum.GetNames<Role>()),
        ["actorRole"] = new(StatusLength),

        // Organisation and plan codes and titles.
        ["sectionCode"] = new(SlugLength, SlugPattern),
        ["departmentCode"] = new(SlugLength, SlugPattern),
        ["ownerSectionCode"] = new(SlugLength, SlugPattern),
        ["ownerDepartmentCode"] = new(SlugLength, SlugPattern),
        ["principalSectionCode"] = new(SlugLength, SlugPattern),
        ["principalDepartmentCode"] = new(SlugLength, SlugPattern),
        ["actorSection"] = new(SlugLength),
        ["sections"] = new(SlugLength),
        ["code"] = new(MeasureCodeLength),
        ["measureCode"] = new(MeasureCodeLength),
        ["itemCode"] = new(OutlineCodeLength),
        ["viewpoint"] = new(OutlineCodeLength),
        ["title"] = new(TitleLength),
        ["displayTitle"] = new(TitleLength),
        ["id"] = new(RouteIdLength),
        ["measureTitle"] = new(TitleLength),
        ["unit"] = new(16),
        ["key"] = new(SlugLength),
        ["label"] = new(32),
        ["added"] = new(PasswordSignIn.MaxEmailLength),
        ["changed"] = new(PasswordSignIn.MaxEmailLength),
        ["unchanged"] = new(PasswordSignIn.MaxEmailLength),
        ["deactivated"] = new(PasswordSignIn.MaxEmailLength),

        // Years and paging (Paging; the fiscal years the calendar knows).
        ["fiscalYear"] = new(Min: 2000, Max: 2099, Format: "int32"),
        ["fromFiscalYear"] = new(Min: 2000, Max: 2099, Format: "int32"),
        ["toFiscalYear"] = new(Min: 2000, Max: 2099, Format: "int32"),
        ["page"] = new(Min: 1, Max: Paging.MaxPage),
        ["pageSize"] = new(Min: 1, Max: Paging.MaxSize),
        ["limit"] = new(Min: 1, Max: Paging.MaxSize),

        // Reports and their route.
        ["status"] = new(StatusLength),
        ["fromStatus"] = new(StatusLength),
        ["toStatus"] = new(StatusLength),
        ["route"] = new(RouteIdLength),
        ["name"] = new(RouteIdLength),
        ["stepId"] = new(RouteIdLength),
        ["step"] = new(RouteIdLength),
        ["toStep"] = new(RouteIdLength),
        ["returnSteps"] = new(RouteIdLength),
        ["approvalClass"] = new(RouteIdLength),
        ["routeRule"] = new(TitleLength),
        ["action"] = new(StatusLength),
        ["permittedActions"] = new(MaxItems: Actions.Length, Values: Actions),
        ["state"] = new(Values: ["done", "current", "pending", "skipped"]),
        ["kind"] = new(StatusLength),
        ["outcome"] = new(Values: ["done", "conflict", "forbidden", "notFound"]),
        ["achievements"] = new(ReportWorkflow.MaxTextLength),
        ["nextSteps"] = new(ReportWorkflow.MaxTextLength),
        ["comment"] = new(ReportWorkflow.MaxCommentLength),
        ["text"] = new(ComposedTextLength),
        ["field"] = new(RouteIdLength),
        ["before"] = new(ReportWorkflow.MaxTextLength),
        ["after"] = new(ReportWorkflow.MaxTextLength),
        ["detail"] = new(ProblemDetailLength),
        ["problem"] = new(ComposedTextLength),
        ["keyId"] = new(RouteIdLength),
        ["mac"] = new(128),
        ["version"] = new(Min: 0, Max: int.MaxValue),
        ["routeVersion"] = new(Min: 1, Max: int.MaxValue),
        ["expiresIn"] = new(Min: 1, Max: 24 * 60 * 60),

        // Files (attachments and records): names and types as the upload checks them.
        ["fileName"] = new(255),
        ["contentType"] = new(127),
        ["sha256"] = new(64, "^[0-9a-f]{64}$"),

        // Open data and the committee: the plan's titles, the organisation's names, the publisher.
        ["viewpointCode"] = new(OutlineCodeLength),
        ["areaCode"] = new(OutlineCodeLength),
        ["viewpointTitle"] = new(TitleLength),
        ["areaTitle"] = new(TitleLength),
        ["itemTitle"] = new(TitleLength),
        ["subjectTitle"] = new(TitleLength),
        ["departmentName"] = new(Codes.MaxNameLength),
        ["sectionName"] = new(Codes.MaxNameLength),
        ["publishedBy"] = new(Codes.MaxNameLength),
        ["withdrawnBy"] = new(Codes.MaxNameLength),
        ["progress"] = new(StatusLength),
        ["progressLabel"] = new(32),
        ["publisher"] = new(TitleLength),
        ["license"] = new(TitleLength),
        ["localGovernmentCode"] = new(6, "^[0-9]{6}$"),
        ["description"] = new(ComposedTextLength),

        // Approval rules and route publishing: a class is a slug like a route id; a preview's diagram is composed from a bounded route.
        ["class"] = new(RouteIdLength),
        ["unruledClasses"] = new(RouteIdLength),
        ["diagram"] = new(DiagramLength),
        ["retentionClass"] = new(AomoriReform.Workflows.Calendar.Retention.MaxLength),

        // 保存期間の管理: a decision's reason, the hold it records, the transfer package's hash, a review's counts.
        ["reason"] = new(RetentionDecisions.MaxReasonLength),
        ["holdReason"] = new(RetentionDecisions.MaxReasonLength),
        ["heldBy"] = new(Codes.MaxNameLength),
        ["years"] = new(Min: 1, Max: RetentionDecisions.MaxExtensionYears, Format: "int32"),
        ["packageSha256"] = new(64, "^[0-9a-f]{64}$"),
        ["disposition"] = new(16),

        // Problem details (RFC 9457).
        ["type"] = new(UriLength, Format: "uri-reference"),
        ["instance"] = new(UriLength, Format: "uri-reference"),
        ["errors"] = new(ComposedTextLength),
    };

    /// <summary>Where one type's field differs from the name's usual meaning.</summary>
    private static readonly Dictionary<(Type, string), Limit> ByMember = new()
    {
        [(typeof(ReportEndpoints.BulkRequest), "items")] = new(MaxItems: BulkActions.MaxItems),
        [(typeof(BulkResponse), "results")] = new(MaxItems: BulkActions.MaxItems),
        [(typeof(ReportContent), "indicators")] = new(MaxItems: ReportWorkflow.MaxIndicators),
        [(typeof(IndicatorActual), "code")] = new(OutlineCodeLength, "^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$"),
        [(typeof(InboxItem), "kind")] = new(Values: ["action", "postReview"]),
        [(typeof(RetentionItem), "state")] = new(Values: RetentionStates.All),
        [(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), "title")] = new(ProblemTitleLength),
        [(typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), "status")] = new(Min: 100, Max: 599),
        [(typeof(HttpValidationProblemDetails), "title")] = new(ProblemTitleLength),
        [(typeof(HttpValidationProblemDetails), "status")] = new(Min: 100, Max: 599),
        [(typeof(CommentView), "text")] = new(ReportWorkflow.MaxCommentLength),
        [(typeof(ReportEndpoints.CommentRequest), "text")] = new(ReportWorkflow.MaxCommentLength),
        [(typeof(OpinionView), "text")] = new(CommitteeOpinions.MaxTextLength),
        [(typeof(OpinionRequest), "text")] = new(CommitteeOpinions.MaxTextLength),
        [(typeof(OpinionResponseView), "text")] = new(CommitteeOpinions.MaxTextLength),
        [(typeof(CommitteeEndpoints.ResponseRequest), "text")] = new(CommitteeOpinions.MaxTextLength),
        [(typeof(PublishedYear), "csv")] = new(UriLength, Format: "uri-reference"),
        [(typeof(PublishedYear), "json")] = new(UriLength, Format: "uri-reference"),
        [(typeof(PublishedYear), "fields")] = new(UriLength, Format: "uri-reference"),
        [(typeof(OpenDataField), "type")] = new(16),
        [(typeof(CsvFormat), "encoding")] = new(TitleLength),
        [(typeof(CsvFormat), "lineBreak")] = new(TitleLength),
        [(typeof(CsvFormat), "recordsAre")] = new(TitleLength),
        [(typeof(CsvFormat), "dates")] = new(TitleLength),
        [(typeof(CsvFormat), "numbers")] = new(TitleLength),
        [(typeof(CsvFormat), "empty")] = new(TitleLength),
        [(typeof(CsvFormat), "formulas")] = new(TitleLength),
    };

    /// <summary>The schema transformer: the limits of one field (a property) or parameter, as the document generates it.</summary>
    public static Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var property = context.JsonPropertyInfo;
        var name = property?.Name ?? context.ParameterDescription?.Name;
        Apply(schema, name, property?.DeclaringType);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The same limits on what the schema transformer does not see on its own (the items of a list,
    /// the values of a map, the parameters): walks every schema of the finished document.
    /// </summary>
    public static void Complete(OpenApiDocument document)
    {
        foreach (var (_, schema) in document.Components?.Schemas ?? new Dictionary<string, IOpenApiSchema>())
        {
            Walk(schema, null, []);
        }

        foreach (var operation in (document.Paths ?? []).SelectMany(p => p.Value.Operations ?? []).Select(o => o.Value))
        {
            foreach (var parameter in operation.Parameters ?? [])
            {
                Walk(parameter.Schema, parameter.Name, []);
            }
        }
    }

    private static void Walk(IOpenApiSchema? schema, string? name, HashSet<OpenApiSchema> seen)
    {
        if (schema is not OpenApiSchema concrete || !seen.Add(concrete))
        {
            return;
        }

        Apply(concrete, name, null);
        foreach (var (property, child) in concrete.Properties ?? new Dictionary<string, IOpenApiSchema>())
        {
            Walk(child, property, seen);
        }

        Walk(concrete.Items, name, seen);
        Walk(concrete.AdditionalProperties, name, seen);
        foreach (var part in (concrete.AnyOf ?? []).Concat(concrete.OneOf ?? []).Concat(concrete.AllOf ?? []))
        {
            Walk(part, name, seen);
        }
    }

    /// <summary>What ProblemDetails promises: a title and a detail no longer than the document says (a longer one is cut).</summary>
    public static void Cut(Microsoft.AspNetCore.Mvc.ProblemDetails problem)
    {
        if (problem.Title is { Length: > ProblemTitleLength } title)
        {
            problem.Title = title[..ProblemTitleLength];
        }

        if (problem.Detail is { Length: > ProblemDetailLength } detail)
        {
            problem.Detail = detail[..ProblemDetailLength];
        }
    }

    private static void Apply(OpenApiSchema schema, string? name, Type? declaringType)
    {
        var limit = declaringType is not null && name is not null && ByMember.TryGetValue((declaringType, name), out var member) ? member
            : declaringType is not null && name is not null && declaringType.BaseType is { } baseType && ByMember.TryGetValue((baseType, name), out var inherited) ? inherited
            : name is not null && ByName.TryGetValue(name, out var named) ? named
            : null;
        var type = schema.Type ?? 0;
        if (type.HasFlag(JsonSchemaType.Array))
        {
            if (limit?.MaxItems is { } items)
            {
                schema.MaxItems ??= items;
            }

            if (schema.Items is OpenApiSchema element)
            {
                Apply(element, name, declaringType);
            }

            return;
        }

        if (type.HasFlag(JsonSchemaType.String) && (schema.Enum is not { Count: > 0 }))
        {
            if (limit?.Values is { } values)
            {
                schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
                return;
            }

            schema.MaxLength ??= schema.Format switch
            {
                "uuid" => UuidLength,
                "date" => DateLength,
                "date-time" => InstantLength,
                _ => limit?.MaxLength,
            };
            if (schema.Format is null && limit?.Format is { } format)
            {
                schema.Format = format;
            }

            if (limit?.Pattern is { } pattern)
            {
                schema.Pattern ??= pattern;
            }
        }

        if (type.HasFlag(JsonSchemaType.Integer))
        {
            var (min, max) = limit?.Min is not null ? (limit.Min.Value, limit.Max ?? int.MaxValue)
                : schema.Format == "int64" ? (0L, long.MaxValue)
                : (0L, int.MaxValue);
            schema.Minimum ??= min.ToString(CultureInfo.InvariantCulture);
            schema.Maximum ??= max.ToString(CultureInfo.InvariantCulture);
            schema.Format ??= "int32";
        }
    }
}
