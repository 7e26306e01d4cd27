using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Tests.Identity;

/// <summary>
/// A minimal OpenID provider on loopback Kestrel (random port): discovery, JWKS, an
/// authorize endpoint that "signs in" whoever <see cref="SignInAs"/> names and redirects back
/// with a code, and a token endpoint that checks the PKCE verifier and issues an RS256 id_token.
/// </summary>
public sealed class FakeOpenIdProvider : IAsyncDisposable
{
    public const string ClientId = "aomori-reform-test";
    public const string ClientSecret = "test-client-secret";

    private readonly WebApplication app;
    private readonly RSA key = RSA.Create(2048);
    private readonly string keyId = Guid.NewGuid().ToString("N")[..12];
    private readonly ConcurrentDictionary<string, Grant> grants = new(StringComparer.Ordinal);
    private Dictionary<string, object> nextClaims = [];
    private int tokensIssued;

    private FakeOpenIdProvider(WebApplication app)
    {
        this.app = app;
    }

    /// <summary>The issuer, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Issuer { get; private set; } = string.Empty;

    /// <summary>Query of the last authorization request, as the host sent it.</summary>
    public IReadOnlyDictionary<string, string> LastAuthorizeRequest { get; private set; } = new Dictionary<string, string>();

    /// <summary>Token requests answered with an id_token after the PKCE verifier matched the challenge.</summary>
    public int TokensIssued => tokensIssued;

    /// <summary>Token requests refused (unknown code, wrong client, redirect or PKCE verifier).</summary>
    public int TokenRequestsRefused { get; private set; }

    public static async Task<FakeOpenIdProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var provider = new FakeOpenIdProvider(builder.Build());
        provider.Map();
        await provider.app.StartAsync();
        provider.Issuer = provider.app.Urls.Single().TrimEnd('/');
        return provider;
    }

    /// <summary>A claim value that removes the claim (e.g. <c>("email_verified", Omit)</c>).</summary>
    public static readonly object Omit = new();

    /// <summary>The person and the extra claims (role, section...) the next sign-in vouches for.</summary>
    public void SignInAs(string email, params (string Type, object Value)[] claims)
    {
        var next = new Dictionary<string, object>(StringComparer.Ordinal) { ["sub"] = $"sub-{email}", ["email"] = email, ["email_verified"] = true, ["name"] = $"Directory {email}" };
        foreach (var (type, value) in claims)
        {
            if (ReferenceEquals(value, Omit))
            {
                next.Remove(type);
            }
            else
            {
                next[type] = value;
            }
        }

        nextClaims = next;
    }

    private void Map()
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = $"{Issuer}/authorize",
            ["token_endpoint"] = $"{Issuer}/token",
            ["jwks_uri"] = $"{Issuer}/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        app.MapGet("/jwks", () =>
        {
            var parameters = key.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new { kty = "RSA", use = "sig", alg = "RS256", kid = keyId, n = Base64Url.EncodeToString(parameters.Modulus), e = Base64Url.EncodeToString(parameters.Exponent) },
                },
            });
        });
        app.MapGet("/authorize", (HttpRequest request) =>
        {
            var query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
            LastAuthorizeRequest = query;
            if (query.GetValueOrDefault("client_id") != ClientId || query.GetValueOrDefault("response_type") != "code"
                || query.GetValueOrDefault("code_challenge_method") != "S256" || string.IsNullOrEmpty(query.GetValueOrDefault("code_challenge"))
                || !Uri.TryCreate(query.GetValueOrDefault("redirect_uri"), UriKind.Absolute, out var redirect))
            {
                return Results.BadRequest("invalid_request");
            }

            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            grants[code] = new Grant(query["code_challenge"], redirect.AbsoluteUri, query.GetValueOrDefault("nonce"), nextClaims);
            var separator = redirect.Query.Length > 0 ? "&" : "?";
            return Results.Redirect(
                $"{redirect.AbsoluteUri}{separator}code={code}&state={Uri.EscapeDataString(query.GetValueOrDefault("state") ?? string.Empty)}&iss={Uri.EscapeDataString(Issuer)}");
        });
        app.MapPost("/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            var verifier = form["code_verifier"].ToString();
            if (form["grant_type"] != "authorization_code" || form["client_id"] != ClientId
                || !grants.TryRemove(form["code"].ToString(), out var grant)
                || form["redirect_uri"] != grant.RedirectUri
                || verifier.Length < 43
                || Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != grant.CodeChallenge)
            {
                TokenRequestsRefused++;
                return Results.Json(new { error = "invalid_grant" }, statusCode: StatusCodes.Status400BadRequest);
            }

            Interlocked.Increment(ref tokensIssued);
            return Results.Json(new
            {
                access_token = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
                token_type = "Bearer",
                expires_in = 300,
                id_token = IdToken(grant),
            });
        });
    }

    private string IdToken(Grant grant)
    {
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(grant.Claims, StringComparer.Ordinal)
        {
            ["iss"] = Issuer,
            ["aud"] = ClientId,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 300,
        };
        if (grant.Nonce is not null)
        {
            payload["nonce"] = grant.Nonce;
        }

        var header = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { alg = "RS256", typ = "JWT", kid = keyId }));
        var body = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(payload));
        var signature = key.SignData(Encoding.ASCII.GetBytes($"{header}.{body}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{body}.{Base64Url.EncodeToString(signature)}";
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
        key.Dispose();
    }

    private sealed record Grant(string CodeChallenge, string RedirectUri, string? Nonce, IReadOnlyDictionary<string, object> Claims);
}
