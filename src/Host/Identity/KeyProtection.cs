using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.DataProtection;

namespace AomoriReform.Host.Identity;

/// <summary>
/// The data-protection keys that sign tokens and cookies live in the database, so every host
/// shares them. With <c>DataProtection:CertificatePath</c> (a PKCS#12 file, its password in
/// <c>DataProtection:CertificatePassword</c>) they are stored encrypted to that certificate, so a
/// copy of the database alone cannot forge a session. Without it, Production logs one warning.
/// </summary>
public static partial class KeyProtection
{
    public static IHostApplicationBuilder AddKeyProtection(this IHostApplicationBuilder builder)
    {
        var protection = builder.Services.AddDataProtection().SetApplicationName("AomoriReform").PersistKeysToDbContext<ReformDbContext>();
        var path = builder.Configuration["DataProtection:CertificatePath"];
        if (string.IsNullOrWhiteSpace(path))
        {
            if (builder.Environment.IsProduction())
            {
                builder.Services.AddHostedService<UnencryptedKeysWarning>();
            }

            return builder;
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, builder.Configuration["DataProtection:CertificatePassword"], X509KeyStorageFlags.EphemeralKeySet);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new ReformConfigurationException("DataProtection:CertificatePath", $"cannot be read as a PKCS#12 certificate with DataProtection:CertificatePassword ({e.Message.TrimEnd('.')})");
        }

        if (!certificate.HasPrivateKey)
        {
            throw new ReformConfigurationException("DataProtection:CertificatePath", "holds no private key");
        }

        protection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        return builder;
    }

    private sealed partial class UnencryptedKeysWarning(ILogger<UnencryptedKeysWarning> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            LogUnencrypted(logger);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Warning, Message = "Data-protection keys are stored unencrypted in the database: anyone who reads it can forge sign-ins. Set DataProtection:CertificatePath (and DataProtection:CertificatePassword) to a PKCS#12 certificate.")]
        private static partial void LogUnencrypted(ILogger logger);
    }
}
