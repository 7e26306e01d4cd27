using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Identity;

/// <summary>Data-protection keys stored encrypted to a certificate, still shared by every host that has it.</summary>
[Collection(SharedHost.Name)]
public sealed class KeyProtectionTests : IAsyncLifetime
{
    private TestDatabase database = null!;
    private string certificatePath = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(Profile.Production);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=AomoriReform data protection", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        certificatePath = Path.Combine(Directory.CreateTempSubdirectory("aomori-keys-").FullName, "keys.pfx");
        await File.WriteAllBytesAsync(certificatePath, certificate.Export(X509ContentType.Pkcs12, "pfx-password"));
    }

    public async Task DisposeAsync()
    {
        File.Delete(certificatePath);
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Keys_are_stored_encrypted_to_the_certificate_and_a_second_host_with_it_reads_the_tokens()
    {
        var settings = new Dictionary<string, string?> { ["DataProtection:CertificatePath"] = certificatePath, ["DataProtection:CertificatePassword"] = "pfx-password" };
        await using var first = new ReformApp(database, "Development", settings);
        await using var second = new ReformApp(database, "Development", settings);

        var login = await first.CreateClient().PostAsJsonAsync("/api/auth/login", new { email = "hq.admin@demo.local", password = ReformApp.DemoPassword });
        var token = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accessToken").GetString();
        var elsewhere = second.CreateClient();
        elsewhere.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await elsewhere.GetAsync(new Uri("/api/me", UriKind.Relative));
        var stored = await first.WithDbAsync(db => db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync());

        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.NotEmpty(stored);
        Assert.All(stored, xml =>
        {
            Assert.Contains("EncryptedData", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        });
    }
}
