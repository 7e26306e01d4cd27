using System.Diagnostics;
using System.Text.Json;
using AomoriReform.Host.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit.Abstractions;

namespace AomoriReform.Tests.Api;

/// <summary>
/// The OpenAPI document as a contract: fetched from a production host (over HTTPS, as Production
/// serves it), written to docs/openapi/v1.json's place for the generated client, linted with
/// Spectral and the OWASP API Security ruleset (.spectral.yaml, 0 errors), and checked for what
/// every operation must say.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class OpenApiContractTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The committed document the Kiota client (tests/AomoriReform.Client.Tests) is generated from.</summary>
    public static readonly string Committed = Path.Combine(RepositoryRoot(), "docs", "openapi", "v1.json");

    private TestDatabase database = null!;
    private ReformApp app = null!;
    private string document = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        app = new ReformApp(database, "Production");
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost") });
        document = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task The_document_passes_the_OWASP_lint_with_no_errors()
    {
        var file = Path.Combine(Path.GetTempPath(), $"aomori-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document);
        try
        {
            var lint = Path.Combine(RepositoryRoot(), "tools", "openapi-lint", "lint.sh");
            var start = new ProcessStartInfo("bash", [lint, file, "--format", "json", "--quiet"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(8)), "spectral did not finish in 8 minutes");
            var text = await stdout;
            var start0 = text.IndexOf('[', StringComparison.Ordinal);
            Assert.True(start0 >= 0, $"spectral printed no results (exit {process.ExitCode}): {text} {await stderr}");
            var findings = JsonDocument.Parse(text[start0..]).RootElement.EnumerateArray()
                .Select(f => (Severity: f.GetProperty("severity").GetInt32(), Code: f.GetProperty("code").GetString()!,
                    Path: string.Join('.', f.GetProperty("path").EnumerateArray().Select(p => p.ToString())), Message: f.GetProperty("message").GetString()!))
                .ToList();
            var errors = findings.Where(f => f.Severity == 0).ToList();
            var warnings = findings.Where(f => f.Severity == 1).ToList();
            output.WriteLine($"spectral: {errors.Count} errors, {warnings.Count} warnings");
            foreach (var group in warnings.GroupBy(w => w.Code).OrderByDescending(g => g.Count()))
            {
                output.WriteLine($"  {group.Count(),4} {group.Key}");
            }

            Assert.True(errors.Count == 0, "spectral errors:\n" + string.Join('\n', errors.Take(40).Select(e => $"{e.Code} at {e.Path}: {e.Message}")));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Every_operation_says_who_may_call_it_and_every_answer_it_can_give()
    {
        using var json = JsonDocument.Parse(document);
        var root = json.RootElement;
        var problems = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        Assert.True(root.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("Bearer", out _));
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                var name = $"{operation.Name.ToUpperInvariant()} {path.Name}";
                var op = operation.Value;
                if (!op.TryGetProperty("operationId", out var id) || !ids.Add(id.GetString()!))
                {
                    problems.Add($"{name}: no operationId, or one used twice");
                }

                foreach (var field in new[] { "summary", "description" })
                {
                    if (!op.TryGetProperty(field, out var value) || string.IsNullOrWhiteSpace(value.GetString()))
                    {
                        problems.Add($"{name}: no {field}");
                    }
                }

                var responses = op.GetProperty("responses");
                var security = op.GetProperty("security").EnumerateArray().ToList();
                var anonymous = security.Count == 1 && !security[0].EnumerateObject().Any();
                var expected = new List<string> { "500" };
                if (!anonymous)
                {
                    expected.AddRange(["401", "403"]);
                }

                var write = operation.Name is "post" or "put" or "patch" or "delete";
                if ((write && path.Name.StartsWith("/api/", StringComparison.Ordinal)) || path.Name.EndsWith("/export", StringComparison.Ordinal) || path.Name.EndsWith("/pdf", StringComparison.Ordinal))
                {
                    expected.Add("429");
                }

                if (path.Name.StartsWith("/api/reports/{id}/", StringComparison.Ordinal) && write)
                {
                    expected.Add("409");
                }

                if (op.TryGetProperty("requestBody", out _))
                {
                    expected.AddRange(["400", "413", "415"]);
                }

                foreach (var status in expected.Where(s => !responses.TryGetProperty(s, out _)))
                {
                    problems.Add($"{name}: no {status} response");
                }

                foreach (var response in responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5'))
                {
                    if (!response.Value.TryGetProperty("content", out var content) || !content.TryGetProperty(OpenApiProblem, out _))
                    {
                        problems.Add($"{name}: {response.Name} is not {OpenApiProblem}");
                    }
                }

                if (responses.TryGetProperty("429", out var tooMany) && !(tooMany.TryGetProperty("headers", out var headers) && headers.TryGetProperty("Retry-After", out _)))
                {
                    problems.Add($"{name}: 429 without Retry-After");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
        Assert.True(ids.Count > 30, $"only {ids.Count} operations");
    }

    [Fact]
    public void Security_follows_each_endpoints_policy_and_limits_follow_the_validators()
    {
        using var json = JsonDocument.Parse(document);
        var paths = json.RootElement.GetProperty("paths");
        var login = paths.GetProperty("/api/auth/login").GetProperty("post");
        Assert.Empty(login.GetProperty("security")[0].EnumerateObject());
        var import = paths.GetProperty("/api/plan/import").GetProperty("post");
        Assert.Contains("`HqAdmin`", import.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("postReportsIdComments", paths.GetProperty("/api/reports/{id}/comments").GetProperty("post").GetProperty("operationId").GetString());

        var schemas = json.RootElement.GetProperty("components").GetProperty("schemas");
        int Max(string schema, string property, string keyword = "maxLength") =>
            schemas.GetProperty(schema).GetProperty("properties").GetProperty(property).GetProperty(keyword).GetInt32();
        Assert.Equal(AomoriReform.Workflows.Reports.ReportWorkflow.MaxTextLength, Max("ReportContent", "achievements"));
        Assert.Equal(AomoriReform.Workflows.Reports.ReportWorkflow.MaxCommentLength, Max("ActionRequest", "comment"));
        Assert.Equal(AomoriReform.Workflows.Reports.BulkActions.MaxItems, Max("BulkRequest", "items", "maxItems"));
        Assert.Equal(PasswordSignIn.MaxPasswordLength, Max("LoginRequest", "password"));
        Assert.Equal(["version"], schemas.GetProperty("ActionRequest").GetProperty("required").EnumerateArray().Select(r => r.GetString()));
        var key = paths.GetProperty("/api/reports/{id}/{action}").GetProperty("post").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "Idempotency-Key").GetProperty("schema");
        Assert.Equal(100, key.GetProperty("maxLength").GetInt32());
    }

    [Fact]
    public async Task The_committed_document_is_the_one_the_host_serves()
    {
        // The generated client is built from the committed copy: regenerate it with AOMORI_WRITE_OPENAPI=1.
        var served = document.ReplaceLineEndings("\n").TrimEnd() + "\n";
        if (Environment.GetEnvironmentVariable("AOMORI_WRITE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Committed)!);
            await File.WriteAllTextAsync(Committed, served);
        }

        var committed = File.Exists(Committed) ? (await File.ReadAllTextAsync(Committed)).ReplaceLineEndings("\n") : string.Empty;
        Assert.True(committed == served,
            "docs/openapi/v1.json differs from the document the host serves; write it anew with "
            + "AOMORI_WRITE_OPENAPI=1 dotnet test tests/AomoriReform.Host.Tests --filter FullyQualifiedName~OpenApiContractTests, and review the diff");
    }

    private const string OpenApiProblem = "application/problem+json";

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "AomoriReform.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("AomoriReform.sln not found above " + AppContext.BaseDirectory);
    }
}
