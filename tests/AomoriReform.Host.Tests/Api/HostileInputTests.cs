using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AomoriReform.Workflows.Demo;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace AomoriReform.Tests.Api;

/// <summary>
/// A generated corpus of bad requests at every write endpoint, on PostgreSQL: each gets a 4xx
/// problem (400 naming the field where the input itself is bad), no error body names the stack,
/// nothing in the database changes, and the journal still verifies.
/// </summary>
[Collection(SharedHost.Name)]
public sealed class HostileInputTests : IAsyncLifetime
{
    private const string Section = "gyosei-keiei";

    /// <summary>Strings an attacker tries; as free text they are just text, anywhere else they are invalid.</summary>
    private static readonly string[] Injections =
    [
        "'; DROP TABLE \"AspNetUsers\"; --",
        "1' OR '1'='1",
        "\" OR \"\"=\"",
        "<script>alert(document.cookie)</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        "${jndi:ldap://127.0.0.1/a}",
        "{{7*7}}",
        "../../../../etc/passwd",
        "%00%0d%0aSet-Cookie: x=y",
    ];

    private static readonly string[] ControlCharacters = ["a\u0000b", "\u001b[2J", "bell\u0007", "\u0008\u007f"];

    private static readonly string[] Leaks = ["   at ", "Exception", "Npgsql", "System.", "Microsoft.", "SELECT ", "INSERT ", "stack"];

    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 4, 10, 0, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, HttpClient> clients = [];
    private TestDatabase database = null!;
    private ReformApp app = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        app = new ReformApp(database, "Development", time: time);
        foreach (var who in new[] { "hq.admin", $"{Section}.staff", $"{Section}.chief", "committee", "hq.reviewer" })
        {
            clients[who] = await app.SignedInAsync($"{who}@demo.local");
        }

        clients["anonymous"] = app.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await clients["hq.admin"].PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })).StatusCode);
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await database.DisposeAsync();
    }

    /// <summary>What a mutated request must get: exactly a 400 naming a field, 413, 415, or any 4xx (the input is valid text but the request fails otherwise).</summary>
    private enum Expect
    {
        BadRequest,
        TooLarge,
        UnsupportedType,
        ClientError,
    }

    private sealed record Probe(string Label, string Caller, HttpMethod Method, string Path, HttpContent? Content, Expect Expect, (string Name, string Value)? Header = null);

    /// <summary>A JSON endpoint: a template that is well formed but fails anyway (stale version, unknown user, year already open), its required and free-text fields.</summary>
    private sealed record JsonTarget(string Name, string Caller, HttpMethod Method, string Path, JsonObject Template, string[] Required, string[] FreeText);

    [Fact]
    public async Task A_corpus_of_bad_requests_gets_only_4xx_changes_nothing_and_the_journal_verifies()
    {
        var reports = await app.WithDbAsync(db => db.ProgressReports.AsNoTracking()
            .Where(r => r.SectionCode == Section && r.RouteName == "progress-report").OrderBy(r => r.MeasureCode).Select(r => new { r.Id, r.MeasureCode }).Take(3).ToListAsync());
        var (draft, submitted, accepted) = (reports[0].Id, reports[1].Id, reports[2].Id);
        var submit = await clients[$"{Section}.staff"].PostAsJsonAsync($"/api/reports/{submitted}/submit", new { version = 1 });
        Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
        foreach (var (who, action, version) in new[] { ($"{Section}.staff", "submit", 1), ($"{Section}.chief", "approve", 2), ("hq.reviewer", "accept", 3) })
        {
            Assert.Equal(HttpStatusCode.OK, (await clients[who].PostAsJsonAsync($"/api/reports/{accepted}/{action}", new { version })).StatusCode);
        }
        var indicator = await app.WithDbAsync(db => db.Measures.Where(m => m.Code == reports[0].MeasureCode).Select(m => m.Indicators).SingleAsync());

        // Well-formed templates that cannot succeed, so no mutation can slip through into a change.
        JsonTarget[] targets =
        [
            new("login", "anonymous", HttpMethod.Post, "/api/auth/login",
                new JsonObject { ["email"] = "nobody@fuzz.example", ["password"] = "not-the-password-123" }, ["email", "password"], ["email", "password"]),
            new("refresh", "anonymous", HttpMethod.Post, "/api/auth/refresh", new JsonObject { ["refreshToken"] = "forged" }, [], ["refreshToken"]),
            new("checkin", "hq.admin", HttpMethod.Post, "/api/checkins", new JsonObject { ["fiscalYear"] = 2025, ["dueDate"] = "2026-05-29" }, ["fiscalYear"], []),
            new("save", $"{Section}.staff", HttpMethod.Put, $"/api/reports/{draft}", new JsonObject
            {
                ["version"] = 99,
                ["content"] = new JsonObject
                {
                    ["progress"] = "OnTrack", ["achievements"] = "done", ["nextSteps"] = "more",
                    ["indicators"] = new JsonArray(new JsonObject { ["code"] = indicator.Count > 0 ? indicator[0].Code : "I1", ["actual"] = 1.5 }),
                },
            }, ["version", "content"], ["content.achievements", "content.nextSteps"]),
            new("approve", $"{Section}.chief", HttpMethod.Post, $"/api/reports/{submitted}/approve", new JsonObject { ["version"] = 99, ["comment"] = "ok" }, ["version"], ["comment"]),
            new("return", $"{Section}.chief", HttpMethod.Post, $"/api/reports/{submitted}/return", new JsonObject { ["version"] = 99, ["comment"] = "fix" }, ["version"], ["comment"]),
            new("submit", $"{Section}.staff", HttpMethod.Post, $"/api/reports/{draft}/submit", new JsonObject { ["version"] = 99, ["comment"] = "here" }, ["version"], ["comment"]),
            new("return-to-step", $"{Section}.chief", HttpMethod.Post, $"/api/reports/{submitted}/return", new JsonObject { ["version"] = 99, ["comment"] = "fix", ["toStep"] = "draft" }, ["version"], ["comment", "toStep"]),
            // The drafter sees the report but does not comment at the chief's step: every mutation is refused.
            new("comment", $"{Section}.staff", HttpMethod.Post, $"/api/reports/{submitted}/comments", new JsonObject { ["text"] = "意見" }, ["text"], ["text"]),
            // Nothing waits for the chief's review afterwards (後閲) on this report.
            new("post-review", $"{Section}.chief", HttpMethod.Post, $"/api/reports/{submitted}/post-review", new JsonObject { ["comment"] = "確認" }, [], ["comment"]),
            new("deputy", $"{Section}.chief", HttpMethod.Post, "/api/deputies",
                new JsonObject { ["deputyEmail"] = "nobody@fuzz.example", ["from"] = "2026-04-10", ["to"] = "2026-04-20" }, ["deputyEmail", "from", "to"], ["deputyEmail"]),
            // A year outside the plan: every mutation of an opinion is refused (the text is free, the codes are not).
            new("opinion", "committee", HttpMethod.Post, "/api/opinions",
                new JsonObject { ["fiscalYear"] = 2099, ["measureCode"] = reports[0].MeasureCode, ["text"] = "意見" }, ["fiscalYear", "text"], ["text"]),
            // An opinion that does not exist: a valid response is 404, an invalid one 400.
            new("opinion-response", "hq.admin", HttpMethod.Post, $"/api/opinions/{Guid.NewGuid()}/response", new JsonObject { ["text"] = "対応方針" }, ["text"], ["text"]),
            // The year has no accepted report yet: nothing to publish (409).
            new("publish", "hq.admin", HttpMethod.Post, "/api/publications", new JsonObject { ["fiscalYear"] = 2025 }, ["fiscalYear"], []),
            // An existing but ineligible deputy (a read-only role), so every mutation is refused too.
            new("deputy-ineligible", $"{Section}.chief", HttpMethod.Post, "/api/deputies",
                new JsonObject { ["deputyEmail"] = "committee@demo.local", ["from"] = "2026-04-10", ["to"] = "2026-04-20" }, ["deputyEmail", "from", "to"], ["deputyEmail"]),
            // 軽微な修正 on a report that is not accepted yet: every request is refused.
            new("correction", "hq.admin", HttpMethod.Post, $"/api/reports/{draft}/corrections", new JsonObject { ["text"] = "誤記の訂正" }, ["text"], ["text"]),
            // 保存期間: the accepted report's period has not ended (no disposal yet); the draft is no record to extend.
            new("retention-dispose", "hq.admin", HttpMethod.Post, $"/api/reports/{accepted}/retention/dispose", new JsonObject { ["reason"] = "保存期間満了" }, [], ["reason"]),
            new("retention-extend", "hq.admin", HttpMethod.Post, $"/api/reports/{draft}/retention/extend", new JsonObject { ["reason"] = "監査対応", ["years"] = 3 }, ["reason", "years"], ["reason"]),
        ];

        var probes = targets.SelectMany(Mutations).Concat(FileProbes()).Concat(DefinitionProbes()).Concat(PathProbes(draft, submitted)).Concat(AttachmentProbes(draft, accepted)).ToList();
        Assert.True(probes.Count >= 300, $"{probes.Count} probes");

        await QuiescentAsync();
        var before = await FingerprintAsync();
        var processedBefore = await ProcessedAsync();
        var failures = new List<string>();
        foreach (var probe in probes)
        {
            using var request = new HttpRequestMessage(probe.Method, probe.Path) { Content = probe.Content };
            if (probe.Header is { } header)
            {
                request.Headers.TryAddWithoutValidation(header.Name, header.Value);
            }

            var response = await clients[probe.Caller].SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            var problem = response.Content.Headers.ContentType?.MediaType == "application/problem+json";
            var ok = probe.Expect switch
            {
                Expect.BadRequest => status == 400 && problem && NamesAField(body),
                Expect.TooLarge => status == 413 && problem,
                Expect.UnsupportedType => status == 415 && problem,
                _ => status is >= 400 and < 500 && problem,
            };
            if (!ok)
            {
                failures.Add($"{probe.Label}: {status} {(problem ? "problem" : response.Content.Headers.ContentType?.MediaType)} {Shorten(body)}");
            }
            else if (Leaks.FirstOrDefault(leak => body.Contains(leak, StringComparison.Ordinal)) is { } leak)
            {
                failures.Add($"{probe.Label}: the body shows '{leak}': {Shorten(body)}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {probes.Count} probes:\n" + string.Join('\n', failures.Take(40)));
        await QuiescentAsync();
        var after = await FingerprintAsync();
        Assert.Equal(before.Keys, after.Keys);
        var changed = before.Where(table => after[table.Key] != table.Value).Select(table => table.Key).ToList();
        // Should a consumer record a message late, say which (a diagnosis for a run that fails only under load).
        var late = (await ProcessedAsync()).Except(processedBefore).ToList();
        Assert.True(changed.Count == 0, $"changed: {string.Join(", ", changed)}; messages recorded during the probes: {string.Join("; ", late.Take(10))}");
        var verify = await clients["hq.admin"].GetFromJsonAsync<JsonElement>("/api/audit/verify");
        Assert.True(verify.GetProperty("valid").GetBoolean());
        Assert.True(verify.GetProperty("entriesChecked").GetInt32() > 0);
    }

    [Fact]
    public async Task Injection_strings_in_free_text_are_stored_and_returned_as_the_same_text()
    {
        var id = await app.WithDbAsync(db => db.ProgressReports.Where(r => r.SectionCode == Section).OrderBy(r => r.MeasureCode).Select(r => r.Id).FirstAsync());
        var text = string.Join("\n", Injections);

        var saved = await clients[$"{Section}.staff"].PutAsJsonAsync($"/api/reports/{id}", new { version = 1, content = new { progress = "Delayed", achievements = text, nextSteps = "<b>次年度</b> & 'quotes'" } });
        var read = await clients[$"{Section}.chief"].GetFromJsonAsync<JsonElement>($"/api/reports/{id}");
        var users = await app.WithDbAsync(db => db.Users.CountAsync());

        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal(text, read.GetProperty("content").GetProperty("achievements").GetString());
        Assert.Equal("<b>次年度</b> & 'quotes'", read.GetProperty("content").GetProperty("nextSteps").GetString());
        // The answer is data that no browser runs: JSON, never sniffed, with a policy that loads nothing.
        var raw = await clients[$"{Section}.chief"].GetAsync(new Uri($"/api/reports/{id}", UriKind.Relative));
        Assert.Equal("application/json", raw.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", raw.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.StartsWith("default-src 'none'", raw.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.True(users > 0);
    }

    private static IEnumerable<Probe> Mutations(JsonTarget target)
    {
        Probe Raw(string label, string body, Expect expect, string mediaType = "application/json") =>
            new($"{target.Name} {label}", target.Caller, target.Method, target.Path, new StringContent(body, Encoding.UTF8, mediaType), expect);

        Probe Bytes(string label, byte[] body, Expect expect) =>
            new($"{target.Name} {label}", target.Caller, target.Method, target.Path, new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } }, expect);

        // Malformed bodies.
        foreach (var (label, body) in new[]
        {
            ("empty", string.Empty), ("open brace", "{"), ("truncated", target.Template.ToJsonString()[..^3]), ("array", "[]"), ("null", "null"),
            ("string", "\"text\""), ("number", "42"), ("xml", "<request/>"), ("trailing", target.Template.ToJsonString() + " x"),
            ("comment", "/* c */" + target.Template.ToJsonString()), ("single quotes", target.Template.ToJsonString().Replace('"', '\'')),
            ("deep", new string('[', 200) + new string(']', 200)), ("nan", "{\"version\": NaN}"),
        })
        {
            yield return Raw(label, body, Expect.BadRequest);
        }

        yield return Raw("as text/plain", target.Template.ToJsonString(), Expect.ClientError, "text/plain");
        foreach (var (path, _) in Leaves(target.Template, string.Empty).Where(leaf => leaf.Value.GetValueKind() == JsonValueKind.String))
        {
            // Invalid UTF-8 inside the field's string.
            var marked = Encoding.UTF8.GetBytes(With(target.Template, path, "\u0001MARK"));
            var at = marked.AsSpan().IndexOf("\\u0001MARK"u8);
            yield return Bytes($"{path} invalid UTF-8", [.. marked[..at], 0xC3, 0x28, 0xFF, .. marked[(at + 10)..]], Expect.BadRequest);
        }
        var huge = (JsonObject)target.Template.DeepClone();
        huge["padding"] = new string('x', (1 << 20) + 10);
        yield return Raw("over 1 MiB", huge.ToJsonString(), Expect.TooLarge);

        foreach (var (path, value) in Leaves(target.Template, string.Empty))
        {
            var required = target.Required.Contains(path);
            var freeText = target.FreeText.Contains(path);
            var wrongTypes = value.GetValueKind() == JsonValueKind.String
                ? new JsonNode?[] { 123, true, new JsonObject(), new JsonArray() }
                : [JsonValue.Create("abc"), true, new JsonObject(), new JsonArray(), 1e300, 2.5];
            foreach (var wrong in wrongTypes)
            {
                if (value.GetValueKind() == JsonValueKind.Number && wrong is JsonValue number && number.GetValueKind() == JsonValueKind.Number && path.EndsWith("actual", StringComparison.Ordinal))
                {
                    continue;
                }

                yield return Raw($"{path} as {wrong?.ToJsonString() ?? "null"}", With(target.Template, path, wrong), Expect.BadRequest);
            }

            if (required)
            {
                yield return Raw($"{path} missing", Without(target.Template, path), Expect.BadRequest);
                yield return Raw($"{path} null", With(target.Template, path, null), Expect.BadRequest);
            }

            if (value.GetValueKind() != JsonValueKind.String)
            {
                foreach (var injection in Injections.Take(3))
                {
                    yield return Raw($"{path} = {injection}", With(target.Template, path, injection), Expect.BadRequest);
                }

                continue;
            }

            foreach (var control in ControlCharacters)
            {
                yield return Raw($"{path} with control character {(int)control.First(char.IsControl):x2}", With(target.Template, path, control), Expect.BadRequest);
            }

            yield return Raw($"{path} of 5,000 characters", With(target.Template, path, new string('長', 5000)), Expect.BadRequest);
            yield return Raw($"{path} of 100,000 characters", With(target.Template, path, new string('a', 100_000)), Expect.BadRequest);
            foreach (var injection in Injections)
            {
                // As free text an injection string is just text: the request fails for its other reason and stores nothing.
                yield return Raw($"{path} = {injection}", With(target.Template, path, injection), freeText ? Expect.ClientError : Expect.BadRequest);
            }
        }
    }

    private static IEnumerable<Probe> FileProbes()
    {
        var validPlan = SampleFiles.Plan();
        var validOrganisation = SampleFiles.Organisation();
        foreach (var (endpoint, mediaType, valid) in new[] { ("/api/plan/import", "application/yaml", validPlan), ("/api/plan/import", "text/csv", Encoding.UTF8.GetBytes("code,title\n")), ("/api/org/import", "text/csv", validOrganisation) })
        {
            var name = $"{endpoint} {mediaType}";
            Probe File(string label, byte[] body, Expect expect, string? type = null) =>
                new($"{name} {label}", "hq.admin", HttpMethod.Post, endpoint, new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue(type ?? mediaType) } }, expect);

            yield return File("empty", [], Expect.BadRequest);
            yield return File("invalid UTF-8", valid.Take(200).Concat(new byte[] { 0xC3, 0x28, 0xFF, 0xFE }).Concat(valid.Skip(200)).ToArray(), Expect.BadRequest);
            yield return File("binary", Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 256)).ToArray(), Expect.BadRequest);
            yield return File("NUL in the middle", valid.Take(300).Concat(new byte[] { 0 }).Concat(valid.Skip(300)).ToArray(), Expect.BadRequest);
            yield return File("truncated", Truncated(valid), Expect.BadRequest);
            yield return File("injection lines", Encoding.UTF8.GetBytes(string.Join('\n', Injections)), Expect.BadRequest);
            yield return File("over 10 MiB", new byte[(10 << 20) + 1], Expect.TooLarge);
            yield return File("wrong media type", valid, Expect.ClientError, "application/octet-stream");
            yield return File("html", Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>"), Expect.ClientError, "text/html");
        }

        // Plan files that would take the parser down (deep nesting, alias expansion) or carry spreadsheet formulas.
        var laughs = new StringBuilder("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
        for (var i = 1; i < 9; i++)
        {
            laughs.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(',', Enumerable.Repeat($"*{(char)('a' + i - 1)}", 9))}]\n");
        }

        var planCsvHeader = "item_code,measure_code,measure_title,section_code,route,indicator_code,indicator_title,unit,FY2025\n";
        foreach (var (label, body, type) in new[]
        {
            ("deep flow nesting", "title: " + new string('[', 100_000) + new string(']', 100_000), "application/yaml"),
            ("deep block nesting", "title:\n" + string.Concat(Enumerable.Range(1, 200).Select(i => new string(' ', i) + "-\n")), "application/yaml"),
            ("deep mapping nesting", "title: " + string.Concat(Enumerable.Repeat("{a: ", 5_000)) + "x" + new string('}', 5_000), "application/yaml"),
            ("billion laughs", laughs.ToString(), "application/yaml"),
            ("anchor and alias", "title: &t plan\nfromFiscalYear: 2024\ntoFiscalYear: *t\n", "application/yaml"),
            ("many errors", "measures:\n" + string.Concat(Enumerable.Range(0, 2_000).Select(i => $"  - code: M{i}\n")), "application/yaml"),
            ("formula cells", planCsvHeader + "=HYPERLINK(\"http://evil.example\"),=1+1,@SUM(A1),+cmd|' /C calc'!A0,-2+3,\t=1,\r=1,=1,=1\n", "text/csv"),
            ("formula code with a neutralising quote", planCsvHeader + "'=1+1,'=1,'-x,'@y,,'+I,t,u,'=1\n", "text/csv"),
        })
        {
            yield return new($"/api/plan/import {label}", "hq.admin", HttpMethod.Post, "/api/plan/import?dryRun=true",
                new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue(type) } }, Expect.BadRequest);
        }

        // Organisation rows with bad kinds, roles, codes and control characters.
        foreach (var line in new[]
        {
            "section,x,課,,", "user,a@b.example,名前,gyosei-keiei,Emperor", "department,'; DROP TABLE sections; --,部,,", "user,not-an-email,名前,gyosei-keiei,Staff",
            "department,ok-code,部\u0007,,", "alien,x,y,,", "user,<script>@x.example,名前,gyosei-keiei,Staff", "department,UPPER,部,,",
            "department,=1+1,部,,", "user,@SUM(A1)@x.example,名前,gyosei-keiei,Staff", "user,jinji.staff@demo.local,名前,jinji,Staff",
        })
        {
            yield return new($"/api/org/import row {line}", "hq.admin", HttpMethod.Post, "/api/org/import",
                new ByteArrayContent(validOrganisation.Concat(Encoding.UTF8.GetBytes("\n" + line + "\n")).ToArray()) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } },
                Expect.BadRequest);
        }
    }

    /// <summary>
    /// The file cut short after its first third, inside a YAML flow mapping where there is one: a
    /// plan file cut between two measures is a valid (partial) plan, so the cut must break something.
    /// </summary>
    private static byte[] Truncated(byte[] valid)
    {
        var cut = valid.Length / 3;
        var brace = valid.AsSpan(cut).IndexOf("{ "u8);
        return valid[..(brace < 0 ? cut : cut + brace + 3)];
    }

    /// <summary>
    /// Route and approval rules files sent to be published or previewed: malformed, hostile (deep,
    /// aliased, huge), of the wrong type, naming unknown routes, sections or dates; and retirements
    /// of versions that do not exist or must stay. Each is refused and nothing is stored or journaled.
    /// </summary>
    private static IEnumerable<Probe> DefinitionProbes()
    {
        var route = AomoriReform.Workflows.Engine.RouteDefinitionLoader.ShippedFiles().Single(f => f.FileName == "progress-report.v2.yaml").Yaml
            .Replace("version: 2", "version: 3", StringComparison.Ordinal);
        var rules = AomoriReform.Workflows.Engine.ApprovalRulesLoader.ShippedFiles().Single().Yaml
            .Replace("version: 1", "version: 2", StringComparison.Ordinal).Replace("effectiveFrom: 2025-04-01", "effectiveFrom: 2027-04-01", StringComparison.Ordinal);
        var laughs = new StringBuilder("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
        for (var i = 1; i < 9; i++)
        {
            laughs.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(char)('a' + i)}: &{(char)('a' + i)} [{string.Join(',', Enumerable.Repeat($"*{(char)('a' + i - 1)}", 9))}]\n");
        }

        foreach (var (endpoint, valid, kind) in new[] { ("/api/workflows", route, "route"), ("/api/approval-rules", rules, "rules") })
        {
            var bytes = Encoding.UTF8.GetBytes(valid);
            Probe File(string label, byte[] body, Expect expect, string type = "application/yaml", bool dryRun = true) =>
                new($"{endpoint} {label}", "hq.admin", HttpMethod.Post, dryRun ? $"{endpoint}?dryRun=true" : endpoint,
                    new ByteArrayContent(body) { Headers = { ContentType = MediaTypeHeaderValue.Parse(type) } }, expect);
            Probe Text(string label, string body, Expect expect = Expect.BadRequest, bool dryRun = true) => File(label, Encoding.UTF8.GetBytes(body), expect, dryRun: dryRun);

            yield return File("empty", [], Expect.BadRequest);
            yield return File("invalid UTF-8", [.. bytes.Take(200), 0xC3, 0x28, 0xFF, 0xFE, .. bytes.Skip(200)], Expect.BadRequest);
            yield return File("binary", Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 % 256)).ToArray(), Expect.BadRequest);
            yield return Text("NUL in the title", valid.Replace("title: ", "title: a\u0000b", StringComparison.Ordinal));
            yield return Text("without its list", valid[..valid.IndexOf(kind == "route" ? "steps:" : "rules:", StringComparison.Ordinal)]);
            yield return Text("injection lines", string.Join('\n', Injections));
            yield return Text("a scalar", "just text");
            yield return Text("two documents", valid + "\n---\n" + valid);
            yield return Text("deep flow nesting", "title: " + new string('[', 100_000) + new string(']', 100_000));
            yield return Text("deep block nesting", "title:\n" + string.Concat(Enumerable.Range(1, 200).Select(i => new string(' ', i) + "-\n")));
            yield return Text("deep mapping nesting", "title: " + string.Concat(Enumerable.Repeat("{a: ", 5_000)) + "x" + new string('}', 5_000));
            yield return Text("billion laughs", laughs.ToString());
            yield return Text("anchor and alias", valid.Replace("name: ", "name: &n ", StringComparison.Ordinal) + "\nextra: *n\n");
            yield return Text("many values", "title: [" + string.Join(',', Enumerable.Repeat("x", 60_000)) + "]");
            yield return File("over 1 MiB", [.. bytes, .. Encoding.UTF8.GetBytes("\n#" + new string('x', 1 << 20))], Expect.TooLarge);
            yield return File("as JSON", Encoding.UTF8.GetBytes("{\"name\": \"x\"}"), Expect.UnsupportedType, "application/json");
            yield return File("as text/plain", bytes, Expect.UnsupportedType, "text/plain");
            yield return File("as multipart", bytes, Expect.UnsupportedType, "multipart/form-data; boundary=x");
            yield return File("html", Encoding.UTF8.GetBytes("<html><script>alert(1)</script></html>"), Expect.UnsupportedType, "text/html");
            yield return Text("version 0", valid.Replace(kind == "route" ? "version: 3" : "version: 2", "version: 0", StringComparison.Ordinal));
            yield return Text("version as text", valid.Replace(kind == "route" ? "version: 3" : "version: 2", "version: three", StringComparison.Ordinal));
            yield return Text("name with injection", valid.Replace(kind == "route" ? "name: progress-report" : "name: approval-rules", "name: \"'; DROP TABLE x; --\"", StringComparison.Ordinal), dryRun: false);
            yield return Text("an unknown key at the top", valid + "\nnotes: [1, 2]\n");
            // The same version as the one published: a conflict, nothing stored.
            yield return Text("version already published", valid.Replace(kind == "route" ? "version: 3" : "version: 2", "version: 1", StringComparison.Ordinal), Expect.ClientError, dryRun: false);
            foreach (var query in new[] { "dryRun=maybe", "dryRun=1%27" })
            {
                yield return new($"{endpoint} {query}", "hq.admin", HttpMethod.Post, $"{endpoint}?{query}", new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, Expect.BadRequest);
            }
        }

        // Route files: an unknown role, section, kind, status; too many steps; a title with a control character.
        foreach (var (label, from, to) in new[]
        {
            ("unknown role", "role: SectionChief", "role: Governor"),
            ("unknown section", "scope: section }", "scope: sections, sections: [no-such-section] }"),
            ("unknown kind", "kind: approve", "kind: rubber-stamp"),
            ("lowercase status", "status: Submitted", "status: submitted"),
            ("status too long", "status: Submitted", "status: " + new string('S', 40)),
            ("step id with injection", "id: section-approval", "id: \"<script>alert(1)</script>\""),
            ("due days text", "dueBusinessDays: 5", "dueBusinessDays: five"),
            ("due days over a year", "dueBusinessDays: 5", "dueBusinessDays: 366"),
            ("negative reminder", "reminders: [2]", "reminders: [-2]"),
            ("title with a bell", "title: 進捗報告（標準）", "title: \"進捗\\a報告\""),
            ("no final review", "kind: review", "kind: approve"),
        })
        {
            yield return new($"/api/workflows {label}", "hq.admin", HttpMethod.Post, "/api/workflows",
                new ByteArrayContent(Encoding.UTF8.GetBytes(route.Replace(from, to, StringComparison.Ordinal))) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, Expect.BadRequest);
        }

        var manySteps = route[..route.IndexOf("steps:", StringComparison.Ordinal)] + "steps:\n" + string.Concat(Enumerable.Range(0, 30).Select(i =>
            $"  - id: s{i}\n    kind: {(i == 0 ? "draft" : i == 29 ? "review" : "approve")}\n    status: S{new string('x', i)}\n    assignee: {{ role: {(i == 0 ? "Staff" : i == 29 ? "HqReviewer" : "SectionChief")}, scope: {(i == 29 ? "hq" : "section")} }}\n"));
        yield return new("/api/workflows 30 steps", "hq.admin", HttpMethod.Post, "/api/workflows",
            new ByteArrayContent(Encoding.UTF8.GetBytes(manySteps)) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, Expect.BadRequest);

        // Rules files: unknown routes, bad dates, duplicate and malformed classes, bad budgets, too many rules.
        foreach (var (label, from, to) in new[]
        {
            ("unknown route", "route: progress-report-hq-head", "route: no-such-route"),
            ("route with injection", "route: progress-report-hq-head", "route: \"' OR '1'='1\""),
            ("impossible date", "effectiveFrom: 2027-04-01", "effectiveFrom: 2027-02-30"),
            ("month 13", "effectiveFrom: 2027-04-01", "effectiveFrom: 2027-13-01"),
            ("date as words", "effectiveFrom: 2027-04-01", "effectiveFrom: next April"),
            ("date with a time", "effectiveFrom: 2027-04-01", "effectiveFrom: 2027-04-01T00:00:00Z"),
            ("date in 2200", "effectiveFrom: 2027-04-01", "effectiveFrom: 2200-04-01"),
            ("Japanese era date", "effectiveFrom: 2027-04-01", "effectiveFrom: 令和9年4月1日"),
            ("duplicate class", "class: department-head", "class: section-chief"),
            ("class with capitals", "class: hq-head", "class: HQ Head"),
            ("budget as words", "minBudget: 100000000", "minBudget: one hundred million"),
            ("negative budget", "minBudget: 100000000", "minBudget: -1"),
            ("budget beyond a thousand trillion", "minBudget: 100000000", "minBudget: 99999999999999999999"),
            ("rules as a mapping", "rules:", "rules: {}\nunused:"),
        })
        {
            yield return new($"/api/approval-rules {label}", "hq.admin", HttpMethod.Post, "/api/approval-rules",
                new ByteArrayContent(Encoding.UTF8.GetBytes(rules.Replace(from, to, StringComparison.Ordinal))) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, Expect.BadRequest);
        }

        var manyRules = rules[..rules.IndexOf("rules:", StringComparison.Ordinal)] + "rules:\n"
            + string.Concat(Enumerable.Range(0, 250).Select(i => $"  - class: class-{i}\n    route: progress-report\n"));
        yield return new("/api/approval-rules 250 rules", "hq.admin", HttpMethod.Post, "/api/approval-rules",
            new ByteArrayContent(Encoding.UTF8.GetBytes(manyRules)) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, Expect.BadRequest);
        yield return new("/api/approval-rules other name", "hq.admin", HttpMethod.Post, "/api/approval-rules",
            new ByteArrayContent(Encoding.UTF8.GetBytes(rules.Replace("name: approval-rules", "name: shadow-rules", StringComparison.Ordinal))) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, Expect.ClientError);

        // Retiring what does not exist, or the last active version of a route the rules send reports to.
        foreach (var path in new[]
        {
            "/api/workflows/no-such-route/versions/1/retire", "/api/workflows/progress-report/versions/99/retire", "/api/workflows/progress-report/versions/0/retire",
            "/api/workflows/progress-report/versions/abc/retire", "/api/workflows/progress-report/versions/99999999999/retire",
            $"/api/workflows/{Uri.EscapeDataString(Injections[0])}/versions/1/retire", "/api/workflows/..%2F..%2Fetc/versions/1/retire",
            "/api/workflows/progress-report-hq-head/versions/1/retire",
            "/api/approval-rules/no-such-rules/versions/1/retire", "/api/approval-rules/approval-rules/versions/7/retire",
            $"/api/approval-rules/{Uri.EscapeDataString(Injections[1])}/versions/1/retire",
        })
        {
            yield return new($"retire {path}", "hq.admin", HttpMethod.Post, path, null, Expect.ClientError);
        }

        foreach (var path in new[] { "/api/workflows/no-such-route/versions/1", $"/api/workflows/{Uri.EscapeDataString(Injections[3])}/versions/1/diagram", "/api/approval-rules/x/versions/1" })
        {
            yield return new($"get {path}", "hq.admin", HttpMethod.Get, path, null, Expect.ClientError);
        }
    }

    private static IEnumerable<Probe> PathProbes(Guid draft, Guid submitted)
    {
        foreach (var injection in Injections.Select(Uri.EscapeDataString).Append("SUBMIT").Append("save").Append("delete"))
        {
            yield return new($"action {injection}", $"{Section}.staff", HttpMethod.Post, $"/api/reports/{draft}/{injection}", JsonContent.Create(new { version = 1 }), Expect.BadRequest);
        }

        // Ending an appointment that does not exist (or is not the caller's to see).
        foreach (var who in new[] { $"{Section}.chief", $"{Section}.staff", "hq.admin" })
        {
            yield return new($"end deputy as {who}", who, HttpMethod.Delete, $"/api/deputies/{Guid.NewGuid()}", null, Expect.ClientError);
        }

        foreach (var key in new[] { "two words", new string('k', 101), "key\u0001", "鍵" })
        {
            yield return new($"idempotency key '{key.Length}'", $"{Section}.chief", HttpMethod.Post, $"/api/reports/{submitted}/approve", JsonContent.Create(new { version = 99 }), Expect.BadRequest, ("Idempotency-Key", key));
        }

        foreach (var query in new[] { "fiscalYear=abc", "fiscalYear=1e10", "fiscalYear=2025%27%20OR%201%3D1", "fiscalYear=99999999999" })
        {
            yield return new($"rebuild {query}", "hq.admin", HttpMethod.Post, $"/api/rollups/rebuild?{query}", null, Expect.BadRequest);
        }

        foreach (var query in new[] { "dryRun=maybe", "dryRun=1%27" })
        {
            yield return new($"plan import {query}", "hq.admin", HttpMethod.Post, $"/api/plan/import?{query}", new ByteArrayContent(SampleFiles.Plan()) { Headers = { ContentType = new MediaTypeHeaderValue("application/yaml") } }, Expect.BadRequest);
        }

        // 一括承認: an action that is not decided in bulk, or a list that is empty, too long, malformed or repeats a report.
        foreach (var action in new[] { "return", "recall", "submit", "APPROVE", "approve%27" })
        {
            yield return new($"bulk {action}", $"{Section}.chief", HttpMethod.Post, $"/api/reports/bulk/{action}", JsonContent.Create(new { items = new[] { new { id = submitted, version = 99 } } }), Expect.BadRequest);
        }

        foreach (var (label, items) in new (string, object)[]
        {
            ("no items", Array.Empty<object>()),
            ("501 items", Enumerable.Range(0, 501).Select(_ => new { id = Guid.NewGuid(), version = 1 }).ToArray()),
            ("an item without version", new object[] { new { id = submitted } }),
            ("an item without id", new object[] { new { version = 1 } }),
            ("a report twice", new object[] { new { id = submitted, version = 99 }, new { id = submitted, version = 99 } }),
        })
        {
            yield return new($"bulk with {label}", $"{Section}.chief", HttpMethod.Post, "/api/reports/bulk/approve", JsonContent.Create(new { items }), Expect.BadRequest);
        }

        foreach (var query in new[] { "from=abc", "to=1e3", "from=99", "to=0" })
        {
            yield return new($"changes {query}", $"{Section}.chief", HttpMethod.Get, $"/api/reports/{submitted}/changes?{query}", null, Expect.BadRequest);
        }

        foreach (var query in new[] { "fiscalYear=abc", "fiscalYear=1e10", "unanswered=maybe", "fiscalYear=2025%27%20OR%201%3D1" })
        {
            yield return new($"opinions {query}", "hq.admin", HttpMethod.Get, $"/api/opinions?{query}", null, Expect.BadRequest);
        }

        foreach (var path in new[] { "/open-data/abc/progress.csv", "/open-data/2025/progress.csv", "/open-data/1999/progress.json", "/open-data/2025/fields.json",
            "/open-data/2025/progress.xml", "/open-data/2025/%2e%2e%2fsecret", "/open-data/99999999999/progress.json" })
        {
            yield return new($"open data {path}", "anonymous", HttpMethod.Get, path, null, Expect.ClientError);
        }

        foreach (var year in new[] { "2025", "abc", "1e3", "-1" })
        {
            yield return new($"withdraw {year}", "hq.admin", HttpMethod.Delete, $"/api/publications/{year}", null, Expect.ClientError);
        }

        foreach (var id in new[] { "not-a-guid", "1%27%20OR%201%3D1" })
        {
            yield return new($"respond to {id}", "hq.admin", HttpMethod.Post, $"/api/opinions/{id}/response", JsonContent.Create(new { text = "x" }), Expect.ClientError);
            yield return new($"previous opinions of {id}", $"{Section}.staff", HttpMethod.Get, $"/api/reports/{id}/previous-opinions", null, Expect.ClientError);
        }

        foreach (var query in new[] { "state=closed", "overdue=perhaps", "fiscalYear=x", "page=0" })
        {
            yield return new($"post-reviews {query}", "hq.admin", HttpMethod.Get, $"/api/post-reviews?{query}", null, Expect.BadRequest);
        }

        foreach (var id in new[] { "not-a-guid", "1%27%20OR%201%3D1", Guid.NewGuid().ToString() })
        {
            yield return new($"comment on report {id}", $"{Section}.chief", HttpMethod.Post, $"/api/reports/{id}/comments", JsonContent.Create(new { text = "x" }), Expect.ClientError);
            yield return new($"notification {id}", $"{Section}.staff", HttpMethod.Post, $"/api/notifications/{id}/read", null, Expect.ClientError);
            yield return new($"report {id}", $"{Section}.staff", HttpMethod.Post, $"/api/reports/{id}/submit", JsonContent.Create(new { version = 1 }), Expect.ClientError);
        }
    }

    /// <summary>
    /// Uploads that must store nothing: a type not allowed by its content, a body or file over the
    /// limit, a traversal or control characters in the name, an empty file, a report that is no
    /// longer editable, and malformed multipart bodies; and the records' other endpoints with bad ids.
    /// </summary>
    private static IEnumerable<Probe> AttachmentProbes(Guid draft, Guid accepted)
    {
        var staff = $"{Section}.staff";
        Probe Upload(string label, byte[] content, string? fileName, Expect expect, Guid? report = null, string? who = null, HttpMethod? method = null, string? path = null)
        {
            // The name as filename* (RFC 5987), raw: HttpClient itself refuses control characters in a header.
            var part = new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };
            part.Headers.TryAddWithoutValidation("Content-Disposition", fileName is { Length: > 0 }
                ? $"form-data; name=\"file\"; filename*=UTF-8''{Uri.EscapeDataString(fileName)}"
                : "form-data; name=\"file\"; filename=\"\"");
            var body = new MultipartFormDataContent { part };

            return new($"attachment {label}", who ?? staff, method ?? HttpMethod.Post, path ?? $"/api/reports/{report ?? draft}/attachments", body, expect);
        }

        foreach (var (label, content, name) in new[]
        {
            ("an executable named .pdf", TestFiles.Executable(), "報告.pdf"),
            ("HTML", TestFiles.Html(), "page.html"),
            ("HTML named .txt", Encoding.UTF8.GetBytes("<script>alert(1)</script>\u0000"), "memo.txt"),
            ("Shift_JIS CSV", TestFiles.ShiftJisCsv(), "集計.csv"),
            ("UTF-16 text", TestFiles.Utf16Text(), "集計.txt"),
            ("a macro workbook", TestFiles.Xlsm(), "集計.xlsx"),
            ("a legacy workbook", TestFiles.LegacyExcel(), "集計.xls"),
            ("a plain ZIP", TestFiles.Zip(), "資料.zip"),
            ("a PDF named .exe", TestFiles.Pdf(), "setup.exe"),
            ("a PDF named .xlsx", TestFiles.Pdf(), "集計.xlsx"),
        })
        {
            yield return Upload(label, content, name, Expect.UnsupportedType);
        }

        yield return Upload("body over the limit", TestFiles.LargePdf((20 << 20) + (128 << 10)), "大きい.pdf", Expect.TooLarge);
        yield return Upload("file over the limit", TestFiles.LargePdf((20 << 20) + 1), "大きい.pdf", Expect.TooLarge);
        foreach (var name in new[]
        {
            "../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/etc/passwd.pdf", "..", "%2e%2e%2fpasswd.pdf", "a\u0000b.pdf", "x\r\nSet-Cookie: a=b.pdf",
            "bell\u0007.pdf", "請求書\u202Efdp.exe.pdf", "CON.pdf", "資料?.pdf", new string('あ', 90) + ".pdf",
        })
        {
            yield return Upload($"named '{name[..Math.Min(name.Length, 20)]}'", TestFiles.Pdf(), name, Expect.BadRequest);
        }

        yield return Upload("without a name", TestFiles.Pdf(), null, Expect.BadRequest);
        yield return Upload("empty", [], "空.pdf", Expect.BadRequest);
        yield return Upload("to an accepted report", TestFiles.Pdf(), "受理後.pdf", Expect.ClientError, accepted);
        yield return Upload("by the chief", TestFiles.Pdf(), "課長.pdf", Expect.ClientError, who: $"{Section}.chief");
        yield return Upload("to no report", TestFiles.Pdf(), "資料.pdf", Expect.ClientError, Guid.NewGuid());
        yield return Upload("replacing no file", TestFiles.Pdf(), "資料.pdf", Expect.ClientError, method: HttpMethod.Put, path: $"/api/reports/{draft}/attachments/{Guid.NewGuid()}");
        yield return new("attachment without a file part", staff, HttpMethod.Post, $"/api/reports/{draft}/attachments",
            new MultipartFormDataContent { { new StringContent("メモ"), "note" } }, Expect.BadRequest);
        yield return new("attachment as raw PDF", staff, HttpMethod.Post, $"/api/reports/{draft}/attachments",
            new ByteArrayContent(TestFiles.Pdf()) { Headers = { ContentType = new MediaTypeHeaderValue("application/pdf") } }, Expect.UnsupportedType);
        var cut = new ByteArrayContent(Encoding.UTF8.GetBytes("--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.pdf\"\r\n\r\n%PDF-1.4 cut short"));
        cut.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b0undary");
        yield return new("attachment in a multipart body cut short", staff, HttpMethod.Post, $"/api/reports/{draft}/attachments", cut, Expect.BadRequest);
        var unbounded = new ByteArrayContent(TestFiles.Pdf());
        unbounded.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
        yield return new("attachment in a multipart body without boundary", staff, HttpMethod.Post, $"/api/reports/{draft}/attachments", unbounded, Expect.BadRequest);
        yield return new("delete no file", staff, HttpMethod.Delete, $"/api/reports/{draft}/attachments/{Guid.NewGuid()}", null, Expect.ClientError);

        foreach (var query in new[] { "version=0", "version=-1", "version=abc", "version=1e3" })
        {
            yield return new($"download {query}", staff, HttpMethod.Get, $"/api/reports/{draft}/attachments/{Guid.NewGuid()}?{query}", null, Expect.BadRequest);
        }

        foreach (var id in new[] { "not-a-guid", "1%27%20OR%201%3D1", Guid.NewGuid().ToString() })
        {
            yield return new($"pdf of report {id}", staff, HttpMethod.Get, $"/api/reports/{id}/pdf", null, Expect.ClientError);
            yield return new($"corrections of report {id}", "hq.admin", HttpMethod.Post, $"/api/reports/{id}/corrections", JsonContent.Create(new { text = "x" }), Expect.ClientError);
        }

        foreach (var year in new[] { "1999", "2100", "abc", "99999999999", "2025%27" })
        {
            yield return new($"export {year}", "hq.admin", HttpMethod.Get, $"/api/records/{year}/export", null, year is "1999" or "2100" ? Expect.BadRequest : Expect.ClientError);
        }

        // Corrections of a report that is accepted, by somebody who is not headquarters.
        yield return new("correction by staff", staff, HttpMethod.Post, $"/api/reports/{accepted}/corrections", JsonContent.Create(new { text = "担当の修正" }), Expect.ClientError);
    }

    private static IEnumerable<(string Path, JsonValue Value)> Leaves(JsonNode node, string prefix)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    foreach (var leaf in Leaves(child!, prefix.Length == 0 ? key : $"{prefix}.{key}"))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    foreach (var leaf in Leaves(array[i]!, $"{prefix}[{i}]"))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonValue value:
                yield return (prefix, value);
                break;
        }
    }

    private static JsonNode? Parent(JsonNode root, string path, out string last)
    {
        var parts = path.Replace("[", ".[", StringComparison.Ordinal).Split('.');
        JsonNode? node = root;
        foreach (var part in parts[..^1])
        {
            node = part.StartsWith('[') ? node![int.Parse(part[1..^1], System.Globalization.CultureInfo.InvariantCulture)] : node![part];
        }

        last = parts[^1];
        return node;
    }

    private static string With(JsonObject template, string path, JsonNode? value)
    {
        var copy = template.DeepClone();
        var parent = Parent(copy, path, out var last);
        if (last.StartsWith('['))
        {
            parent!.AsArray()[int.Parse(last[1..^1], System.Globalization.CultureInfo.InvariantCulture)] = value?.DeepClone();
        }
        else
        {
            parent!.AsObject()[last] = value?.DeepClone();
        }

        return copy.ToJsonString();
    }

    private static string Without(JsonObject template, string path)
    {
        var copy = template.DeepClone();
        Parent(copy, path, out var last)!.AsObject().Remove(last);
        return copy.ToJsonString();
    }

    private static bool NamesAField(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.TryGetProperty("errors", out var errors) && errors.EnumerateObject().Any();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Waits until the outbox is drained, the projection has caught up and the other consumers
    /// (notifications) have stopped recording messages, so only requests can change rows.
    /// </summary>
    /// <summary>Each message a consumer recorded, with the type and time of its outbox row when it has one.</summary>
    private Task<List<string>> ProcessedAsync() => app.WithDbAsync(db =>
        (from p in db.ProcessedMessages.AsNoTracking()
         join m in db.OutboxMessages.AsNoTracking() on p.MessageId equals m.MessageId into rows
         from m in rows.DefaultIfEmpty()
         select p.Consumer + " " + p.MessageId + " " + (m == null ? "(no outbox row)" : m.MessageType + " created " + m.CreatedAt + " sent " + m.SentAt) + " processed " + p.ProcessedAt)
        .ToListAsync());

    private async Task QuiescentAsync()
    {
        // Each event type is a batch of its own, so the projection may show a report's newest
        // version while older events of it are still being recorded: wait for every one.
        string[] projected = [.. new[]
        {
            typeof(AomoriReform.Contracts.Reports.ReportOpened), typeof(AomoriReform.Contracts.Reports.ReportSubmitted), typeof(AomoriReform.Contracts.Reports.ReportRecalled),
            typeof(AomoriReform.Contracts.Reports.ReportApproved), typeof(AomoriReform.Contracts.Reports.ReportReturned), typeof(AomoriReform.Contracts.Reports.ReportConcurred),
            typeof(AomoriReform.Contracts.Reports.ReportAccepted),
        }.Select(t => t.FullName!)];
        await Eventually.Get(
            () => app.WithDbAsync(async db => await db.OutboxMessages.CountAsync(m => m.SentAt == null)
                + await db.ProgressReports.CountAsync(r => !db.ReportProjections.Any(p => p.ReportId == r.Id && p.Version == r.Version))
                + await db.OutboxMessages.CountAsync(m => projected.Contains(m.MessageType)
                    && !db.ProcessedMessages.Any(p => p.Consumer == AomoriReform.Workflows.Rollups.ReportProjectionConsumer.Name && p.MessageId == m.MessageId))),
            pending => pending == 0, because: "the outbox, the projection and its record of processed messages to settle");
        var (seen, still) = (-1, 0);
        await Eventually.Get(
            async () =>
            {
                await Task.Delay(500);
                var count = await app.WithDbAsync(db => db.ProcessedMessages.CountAsync());
                (seen, still) = (count, count == seen ? still + 1 : 0);
                return still;
            },
            samples => samples >= 10, TimeSpan.FromSeconds(120), "the consumers to stop recording messages");
    }

    /// <summary>An md5 of every row of every table in the product's schema, by table.</summary>
    private async Task<Dictionary<string, string>> FingerprintAsync()
    {
        await using var connection = new NpgsqlConnection(database.PostgresConnectionString);
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        var fingerprint = new Dictionary<string, string>();
        foreach (var table in tables)
        {
            await using var hash = new NpgsqlCommand($"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t", connection);
            fingerprint[table] = (string)(await hash.ExecuteScalarAsync())!;
        }

        Assert.Contains("journal_entries", fingerprint.Keys);
        return fingerprint;
    }

    private static string Shorten(string body) => body.Length > 240 ? body[..240] + "..." : body;
}
