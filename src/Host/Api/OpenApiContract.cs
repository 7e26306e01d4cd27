using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AomoriReform.Host.Identity;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace AomoriReform.Host.Api;

/// <summary>
/// The OpenAPI document as a contract (<c>GET /openapi/v1.json</c>), made complete from each
/// endpoint's own metadata, so that an endpoint added anywhere comes out right: its security
/// (from its authorization policy), an operationId, a summary and a description, every error it
/// can answer as problem+json, its rate limit, and schema limits from the validators' constants
/// (<see cref="ApiLimits"/>).
/// </summary>
public static class OpenApiContract
{
    public const string BearerScheme = "Bearer";
    public const string CookieScheme = "Cookie";
    public const string ProblemMediaType = "application/problem+json";
    private const string Problem = nameof(Microsoft.AspNetCore.Mvc.ProblemDetails);
    private const string ValidationProblem = nameof(HttpValidationProblemDetails);

    private static readonly JsonSerializerOptions ExampleJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Configure(OpenApiOptions options)
    {
        options.AddSchemaTransformer(ApiLimits.TransformAsync);
        options.AddOperationTransformer(TransformOperationAsync);
        options.AddDocumentTransformer(TransformDocumentAsync);
    }

    /// <summary>An example request body for the OpenAPI document (Japanese where the field is Japanese text).</summary>
    public static TBuilder WithRequestExample<TBuilder>(this TBuilder builder, object example) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiExample(null, example));

    /// <summary>An example response body for one status.</summary>
    public static TBuilder WithResponseExample<TBuilder>(this TBuilder builder, int status, object example) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ApiExample(status, example));

    /// <summary>The values a string parameter (a path segment or a query) takes; the document lists them as an enum.</summary>
    public static TBuilder WithParameterValues<TBuilder>(this TBuilder builder, string parameter, params IEnumerable<string> values) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ParameterValues(parameter, [.. values]));

    /// <summary>A header the successful answer carries (such as <c>X-Total-Count</c>).</summary>
    public static TBuilder WithResponseHeader<TBuilder>(this TBuilder builder, string name, string description) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ResponseHeader(name, description));

    /// <summary>The operationId of an endpoint without a name: the method and the route's segments, e.g. <c>postReportsIdComments</c>.</summary>
    public static string OperationId(string method, string route)
    {
        var id = new StringBuilder(method.ToLowerInvariant());
        var segments = route.Split('/', StringSplitOptions.RemoveEmptyEntries).SkipWhile((s, i) => i == 0 && s.Equals("api", StringComparison.OrdinalIgnoreCase));
        foreach (var segment in segments)
        {
            var name = segment.Trim('{', '}').Split(':', '=', '?')[0].TrimStart('*');
            foreach (var word in name.Split('-', '_', '.'))
            {
                if (word.Length > 0)
                {
                    id.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
                }
            }
        }

        return id.ToString();
    }

    private static async Task TransformOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var api = context.Description;
        var method = api.HttpMethod ?? "GET";
        var route = "/" + (api.RelativePath ?? string.Empty).TrimStart('/');
        var metadata = new EndpointMetadataCollection(api.ActionDescriptor.EndpointMetadata);
        var services = context.ApplicationServices;

        operation.OperationId ??= metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? OperationId(method, route);
        operation.Summary ??= GeneratedSummary(method, route);

        // Security: exactly as the endpoint's policy is (an endpoint that names none is under the fallback: signed in).
        var anonymous = metadata.GetMetadata<IAllowAnonymous>() is not null;
        var policy = metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null) ?? Policies.SignedIn;
        var about = new List<string>();
        if (anonymous)
        {
            operation.Security = [new OpenApiSecurityRequirement()];
            about.Add("**Authorization:** none (anonymous).");
        }
        else
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(CookieScheme, context.Document)] = [] },
            ];
            var roles = Policies.Roles.TryGetValue(policy, out var admitted) && admitted.Length > 0
                ? "roles " + string.Join(", ", admitted.Select(r => $"`{r}`"))
                : "any active account";
            about.Add($"**Authorization:** policy `{policy}`: {roles}, with a live session (a bearer token, or the sign-in cookie with the `{CookieRequestForgery.HeaderName}` header on writes).");
        }

        var limit = RateLimits.PolicyOf(method, route, metadata);
        if (limit is not null)
        {
            about.Add($"**Rate limit:** {RateLimits.Describe(limit)}; over it, 429 with `Retry-After`.");
        }

        var idempotent = api.ParameterDescriptions.Any(p => p.Name == Reports.ReportEndpoints.IdempotencyHeader);
        if (idempotent)
        {
            about.Add($"**Idempotency:** with an `{Reports.ReportEndpoints.IdempotencyHeader}` header, a repeat of the same request answers as the first time and changes nothing more; the same key with a different request is 409.");
        }

        operation.Description = string.Join("\n\n", new[] { operation.Description ?? operation.Summary }.Concat(about));

        ApplyParameterValues(operation, metadata);
        if (metadata.GetMetadata<FileUpload>() is { MultipartPart: { } part } multipart)
        {
            // A file in one part of a multipart/form-data body, read as a stream (so no parameter describes it).
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = true,
                Description = $"multipart/form-data with the file in the part `{part}` (its file name is the attachment's name); at most {multipart.DocumentedLimit >> 20} MiB with the default settings.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["multipart/form-data"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { part },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                [part] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary", MaxLength = (int)multipart.DocumentedLimit },
                            },
                        },
                    },
                },
            };
        }
        else if (metadata.GetMetadata<FileUpload>() is not null && operation.RequestBody is OpenApiRequestBody { Content: { } files })
        {
            // A file as the raw body: at most the file limit (bytes, so at most as many characters).
            foreach (var file in files.Values.Select(m => m.Schema).OfType<OpenApiSchema>())
            {
                file.MaxLength = (int)ApiExtensions.FileBodyLimit;
            }
        }
        else if (operation.RequestBody is OpenApiRequestBody { Content: { } raw } && raw.TryGetValue("application/yaml", out var yaml) && yaml.Schema is OpenApiSchema { MaxLength: null } yamlFile)
        {
            // A route or rules file as the raw body: at most a definition file's limit.
            yamlFile.MaxLength = (int)AomoriReform.Workflows.Definitions.DefinitionFile.MaxBytes;
        }

        // Every answer the operation can give.
        operation.Responses ??= [];
        var hasBody = api.ParameterDescriptions.Any(p => p.Source == BindingSource.Body || p.Source == BindingSource.Form) || metadata.GetMetadata<FileUpload>() is not null;
        var hasInput = hasBody || api.ParameterDescriptions.Any(p => p.Source != BindingSource.Services && p.Source != BindingSource.Special);
        var routeParameters = api.ParameterDescriptions.Where(p => p.Source == BindingSource.Path).Select(p => p.Name).ToList();
        var writes = !HttpMethods.IsGet(method) && !HttpMethods.IsHead(method);
        var errors = new SortedDictionary<int, string>();
        if (hasInput)
        {
            errors[400] = "The request is not valid: malformed JSON, a wrong type, an unknown value, a missing or too long field; `errors` names each field.";
        }

        if (!anonymous)
        {
            errors[401] = "No token, a bad or expired token, or an ended session.";
            errors[403] = "Signed in, but the caller's role or section does not allow this.";
        }

        if (routeParameters.Any(p => p != "action"))
        {
            errors[404] = "No such resource, or one the caller may not see.";
        }

        if (idempotent || (writes && route.StartsWith("/api/reports/", StringComparison.Ordinal)))
        {
            errors[409] = "Not allowed in the report's current state, a stale `version`, or an idempotency key reused for a different request.";
        }

        if (hasBody)
        {
            errors[413] = metadata.GetMetadata<FileUpload>() is { } file
                ? $"The body is over {file.DocumentedLimit >> 20} MiB{(file.MultipartPart is null ? "" : " (with the default settings)")}."
                : $"The body is over {ApiExtensions.JsonBodyLimit >> 20} MiB.";
            errors[415] = metadata.GetMetadata<FileUpload>() is not null
                ? "A file type that is not allowed (by its Content-Type or its content)."
                : "The body is not JSON (`Content-Type: application/json`).";
        }

        if (limit is not null)
        {
            errors[429] = "Too many requests: wait the seconds `Retry-After` says.";
        }

        errors[500] = "An unexpected error; the details are in the server's log, never in the answer.";
        errors[503] = "The database is unavailable for a moment (a restart, a failover, a full disk). Nothing was changed: try again after the seconds `Retry-After` says, with the same `Idempotency-Key` where the operation takes one.";

        foreach (var (status, text) in errors)
        {
            var key = status.ToString(CultureInfo.InvariantCulture);
            if (operation.Responses.TryGetValue(key, out var existing) && existing is OpenApiResponse { Content.Count: > 0 })
            {
                continue;
            }

            operation.Responses[key] = ProblemResponse(context.Document!, status, text);
        }

        foreach (var (key, response) in operation.Responses)
        {
            if (response is OpenApiResponse concrete && key.StartsWith('4') && concrete.Content is { } content)
            {
                foreach (var media in content.Keys.Where(k => k != ProblemMediaType).ToList())
                {
                    content.Remove(media);
                }

                if (key == "400" && content.TryGetValue(ProblemMediaType, out var validation))
                {
                    validation.Schema = new OpenApiSchemaReference(ValidationProblem, context.Document);
                }
            }
        }

        // An endpoint's own 429 (a feature's rate limit) says when to try again, as every 429 does.
        if (operation.Responses.TryGetValue("429", out var tooMany) && tooMany is OpenApiResponse tooManyResponse && tooManyResponse.Headers?.ContainsKey("Retry-After") != true)
        {
            tooManyResponse.Headers = ProblemResponse(context.Document!, 429, string.Empty).Headers;
        }

        foreach (var header in metadata.GetOrderedMetadata<ResponseHeader>())
        {
            if (operation.Responses.TryGetValue("200", out var ok) && ok is OpenApiResponse okResponse)
            {
                okResponse.Headers ??= new Dictionary<string, IOpenApiHeader>();
                okResponse.Headers[header.Name] = new OpenApiHeader
                {
                    Description = header.Description,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "0", Maximum = int.MaxValue.ToString(CultureInfo.InvariantCulture) },
                };
            }
        }

        ApplyExamples(operation, metadata);
        await EnsureProblemSchemasAsync(context, cancellationToken);
    }

    private static OpenApiResponse ProblemResponse(OpenApiDocument document, int status, string text)
    {
        var response = new OpenApiResponse
        {
            Description = text,
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [ProblemMediaType] = new() { Schema = new OpenApiSchemaReference(status == 400 ? ValidationProblem : Problem, document) },
            },
        };
        if (status is 429 or 503)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before trying again.",
                    Required = true,
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "1", Maximum = "3600" },
                },
            };
        }

        return response;
    }

    /// <summary>The problem schemas every error response refers to, generated (and limited) like every other schema.</summary>
    private static async Task EnsureProblemSchemasAsync(OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document!;
        foreach (var (name, type) in new[] { (Problem, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails)), (ValidationProblem, typeof(HttpValidationProblemDetails)) })
        {
            if (document.Components?.Schemas?.ContainsKey(name) != true)
            {
                document.AddComponent(name, await context.GetOrCreateSchemaAsync(type, null, cancellationToken));
            }
        }
    }

    private static void ApplyParameterValues(OpenApiOperation operation, EndpointMetadataCollection metadata)
    {
        foreach (var values in metadata.GetOrderedMetadata<ParameterValues>())
        {
            if (operation.Parameters?.FirstOrDefault(p => p.Name == values.Parameter) is OpenApiParameter parameter)
            {
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Values.Select(v => (JsonNode)JsonValue.Create(v))] };
            }
        }
    }

    private static void ApplyExamples(OpenApiOperation operation, EndpointMetadataCollection metadata)
    {
        foreach (var example in metadata.GetOrderedMetadata<ApiExample>())
        {
            var node = JsonSerializer.SerializeToNode(example.Value, example.Value.GetType(), ExampleJson);
            if (example.Status is null)
            {
                if (operation.RequestBody is OpenApiRequestBody { Content: { } content } && content.TryGetValue("application/json", out var media))
                {
                    media.Example = node;
                }
            }
            else if (operation.Responses?.TryGetValue(example.Status.Value.ToString(CultureInfo.InvariantCulture), out var response) == true
                && response is OpenApiResponse { Content: { } content } && content.Values.FirstOrDefault() is { } media)
            {
                media.Example = node;
            }
        }
    }

    /// <summary>A plain summary from the method and the route, for an endpoint that has none of its own.</summary>
    private static string GeneratedSummary(string method, string route)
    {
        var verb = method.ToUpperInvariant() switch
        {
            "GET" => "Gets",
            "POST" => "Posts to",
            "PUT" => "Replaces",
            "PATCH" => "Changes",
            "DELETE" => "Deletes",
            _ => method.ToUpperInvariant(),
        };
        return $"{verb} {route}";
    }

    private static Task TransformDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var environment = context.ApplicationServices.GetRequiredService<IHostEnvironment>();
        var identity = context.ApplicationServices.GetRequiredService<IdentitySettings>();
        document.Info = new OpenApiInfo
        {
            Title = "AomoriReform API (青森県行財政改革 電子決裁)",
            Version = "1",
            Description =
                "The HTTP API of the approval engine for Aomori Prefecture's reform action plan: progress reports and their approval routes, "
                + "the plan, check-ins, deputies, rollups, notifications and the audit journal. JSON is camelCase; dates are ISO 8601 "
                + "(`2026-05-29`), instants UTC with `Z`. Every error is RFC 9457 `application/problem+json`. Sign in with "
                + "`POST /api/auth/login` and send `Authorization: Bearer <accessToken>`.",
            Contact = new OpenApiContact { Name = "青森県 行財政改革推進本部事務局 (the operator of this deployment)" },
        };

        // The server is the address the document was fetched from; Production serves it over HTTPS only.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
            server.Description = environment.IsProduction() ? "This deployment (production)"
                : environment.IsDevelopment() ? "This deployment (local development)"
                : $"This deployment ({environment.EnvironmentName}: test or staging)";
            server.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            // Not hidden: the document is anonymous, for the prefecture's own systems and their vendors.
            server.Extensions["x-internal"] = new JsonNodeExtension(JsonValue.Create(false));
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description =
                $"The opaque access token from `POST /api/auth/login` (not a JWT), valid {identity.AccessTokenMinutes} minutes "
                + $"(Identity:AccessTokenMinutes); `POST /api/auth/refresh` exchanges the refresh token (valid {identity.RefreshTokenDays} days, once) for new ones.",
        };
        document.Components.SecuritySchemes[CookieScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Cookie,
            Name = SignInExtensions.CookieName,
            Description =
                $"The web UI's sign-in cookie (`POST /api/auth/login?useCookies=true`, HttpOnly, SameSite=Strict, {identity.CookieMinutes} minutes sliding). "
                + $"A write signed in by cookie also needs the `{CookieRequestForgery.HeaderName}` header from `GET /api/auth/antiforgery`.",
        };

        // Tags with a description each; operationIds unique (a clash gets the route's position as a suffix).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var operation in (document.Paths ?? []).SelectMany(p => p.Value.Operations ?? []).Select(o => o.Value))
        {
            var id = operation.OperationId ?? "operation";
            var unique = id;
            for (var n = 2; !seen.Add(unique); n++)
            {
                unique = id + n.ToString(CultureInfo.InvariantCulture);
            }

            operation.OperationId = unique;
        }

        var tags = (document.Paths ?? []).SelectMany(p => p.Value.Operations ?? []).SelectMany(o => o.Value.Tags ?? new HashSet<OpenApiTagReference>())
            .Select(t => t.Name).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        ApiLimits.Complete(document);
        document.Tags = new HashSet<OpenApiTag>(tags.Select(name => new OpenApiTag { Name = name, Description = TagDescriptions.GetValueOrDefault(name, $"The {name} feature.") }));
        return Task.CompletedTask;
    }

    private static readonly Dictionary<string, string> TagDescriptions = new(StringComparer.Ordinal)
    {
        ["Identity"] = "Signing in and out, tokens, the caller's own account.",
        ["Plan"] = "The reform action plan (行財政改革推進計画): its outline, measures and indicators; import and export.",
        ["Organisation"] = "Departments, sections and accounts, imported from the organisation file.",
        ["Check-ins"] = "The yearly progress check (進捗点検) that opens one report per measure.",
        ["Reports"] = "Progress reports and their approval route (電子決裁): the inbox, editing, actions, comments, history.",
        ["Audit"] = "The signed journal (監査証跡) and its verification.",
        ["Deputies"] = "Deputy appointments (代理) and deputy decisions (代決).",
        ["Workflow definitions"] = "Published approval routes (決裁ルート) and their diagrams.",
        ["Rollups"] = "Headquarters' live counts and their exports.",
        ["Notifications"] = "The caller's reminders, escalations and returns.",
    };

    private sealed record ApiExample(int? Status, object Value);

    private sealed record ParameterValues(string Parameter, IReadOnlyList<string> Values);

    private sealed record ResponseHeader(string Name, string Description);
}
