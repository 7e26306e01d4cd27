using AomoriReform.Workflows.Hosting;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Persistence;
using AomoriReform.Workflows.Plan;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AomoriReform.Workflows.Demo;

/// <summary>
/// In the embedded default and Development only: loads the sample organisation and plan
/// into an empty database and keeps one demo account per section role, department head and
/// HQ role, all with the password from <c>Demo:Password</c>. Never runs in Production.
/// </summary>
public sealed partial class DemoAccounts(ReformProfile profile, ILogger<DemoAccounts> logger) : IStartupTask
{
    public const string Domain = "demo.local";
    public static readonly (string Local, Role Role)[] HqAccounts =
    [
        ("hq.reviewer", Role.HqReviewer), ("hq.admin", Role.HqAdmin), ("committee", Role.Committee), ("auditor", Role.Auditor),
    ];

    public int Order => 10;

    public static string SectionStaff(string section) => $"{section}.staff@{Domain}";

    public static string SectionChief(string section) => $"{section}.chief@{Domain}";

    public static string SectionDeputy(string section) => $"{section}.deputy@{Domain}";

    public static string DepartmentHead(string department) => $"{department}.head@{Domain}";

    public async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (!profile.DemoEnabled)
        {
            return;
        }

        var db = services.GetRequiredService<ReformDbContext>();
        if (!await db.Departments.AnyAsync(cancellationToken))
        {
            await services.GetRequiredService<OrganisationImport>().ImportAsync(SampleFiles.Organisation(), "system", dryRun: false, cancellationToken);
        }

        if (!await db.Plans.AnyAsync(cancellationToken))
        {
            await services.GetRequiredService<PlanImport>().ImportAsync(SampleFiles.Plan(), PlanFileFormat.Yaml, "system", dryRun: false, cancellationToken);
        }

        var created = await EnsureAccountsAsync(services, db, cancellationToken);
        LogDemo(logger, created, profile.DemoPassword!);
    }

    private async Task<int> EnsureAccountsAsync(IServiceProvider services, ReformDbContext db, CancellationToken cancellationToken)
    {
        var normalizer = services.GetRequiredService<ILookupNormalizer>();
        var hasher = services.GetRequiredService<IPasswordHasher<ReformUser>>();
        var wanted = new List<ReformUser>();
        foreach (var section in await db.Sections.AsNoTracking().ToListAsync(cancellationToken))
        {
            wanted.Add(Account(SectionStaff(section.Code), $"{section.Name} 担当（デモ）", Role.Staff, section.Code, section.DepartmentCode));
            wanted.Add(Account(SectionChief(section.Code), $"{section.Name}長（デモ）", Role.SectionChief, section.Code, section.DepartmentCode));
            // An assistant chief (課長補佐) in every section: the chief's natural deputy (代理) for an absence.
            wanted.Add(Account(SectionDeputy(section.Code), $"{section.Name} 課長補佐（デモ）", Role.Staff, section.Code, section.DepartmentCode));
        }

        foreach (var department in await db.Departments.AsNoTracking().ToListAsync(cancellationToken))
        {
            wanted.Add(Account(DepartmentHead(department.Code), $"{department.Name}長（デモ）", Role.DepartmentHead, null, department.Code));
        }

        foreach (var (local, role) in HqAccounts)
        {
            wanted.Add(Account($"{local}@{Domain}", role switch
            {
                Role.HqReviewer => "推進本部事務局 審査担当（デモ）",
                Role.HqAdmin => "推進本部事務局 管理者（デモ）",
                Role.Committee => "推進委員会 委員（デモ）",
                _ => "監査担当（デモ）",
            }, role, null, null));
        }

        var existing = await db.Users.Where(u => u.IsDemo).ToDictionaryAsync(u => u.NormalizedEmail!, StringComparer.Ordinal, cancellationToken);

        // One hash for every account: hashing is deliberately slow, and they share the password.
        // For the same reason a stored hash is verified once, not once per account (78 checks of
        // about 0.25 s each made every restart of a demo database take 20 s).
        string? hash = null;
        var verified = new Dictionary<string, bool>(StringComparer.Ordinal);
        var created = 0;
        foreach (var account in wanted)
        {
            account.NormalizedEmail = normalizer.NormalizeEmail(account.Email);
            account.NormalizedUserName = normalizer.NormalizeName(account.UserName);
            if (existing.TryGetValue(account.NormalizedEmail!, out var current))
            {
                var stored = current.PasswordHash ?? string.Empty;
                if (!verified.TryGetValue(stored, out var matches))
                {
                    matches = verified[stored] = hasher.VerifyHashedPassword(current, stored, profile.DemoPassword!) != PasswordVerificationResult.Failed;
                }

                if (!matches)
                {
                    current.PasswordHash = hash ??= hasher.HashPassword(account, profile.DemoPassword!);
                    current.SecurityStamp = Guid.NewGuid().ToString("N");
                }

                (current.Role, current.SectionCode, current.DepartmentCode, current.IsActive) = (account.Role, account.SectionCode, account.DepartmentCode, true);
                continue;
            }

            account.PasswordHash = hash ??= hasher.HashPassword(account, profile.DemoPassword!);
            db.Users.Add(account);
            created++;
        }

        await db.SaveChangesAsync(cancellationToken);
        return created;
    }

    private static ReformUser Account(string email, string name, Role role, string? section, string? department) => new()
    {
        UserName = email,
        Email = email,
        EmailConfirmed = true,
        SecurityStamp = Guid.NewGuid().ToString("N"),
        DisplayName = name,
        Role = role,
        SectionCode = section,
        DepartmentCode = department,
        IsDemo = true,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo accounts are on ({Created} created): sign in as hq.admin@demo.local, <section>.staff@demo.local, <section>.chief@demo.local ... with the password '{Password}' (Demo:Password). Never in Production.")]
    private static partial void LogDemo(ILogger logger, int created, string password);
}

/// <summary>The sample organisation and plan shipped with the product (sample data, not the prefecture's real plan).</summary>
public static class SampleFiles
{
    public static byte[] Organisation() => Read("organisation.csv");

    public static byte[] Plan() => Read("plan.yaml");

    private static byte[] Read(string name)
    {
        using var stream = typeof(SampleFiles).Assembly.GetManifestResourceStream($"AomoriReform.Workflows.Plan.Samples.{name}")
            ?? throw new InvalidOperationException($"Sample file {name} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
