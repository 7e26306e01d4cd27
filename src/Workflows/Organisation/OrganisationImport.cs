using AomoriReform.Contracts.Organisation;
using AomoriReform.Workflows.Files;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Outcomes;
using AomoriReform.Workflows.Persistence;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Workflows.Organisation;

/// <summary>What an import added, changed, left alone and (for users) deactivated, by code or email.</summary>
public sealed record ImportChanges(IReadOnlyList<string> Added, IReadOnlyList<string> Changed, IReadOnlyList<string> Unchanged);

public sealed record UserImportChanges(
    IReadOnlyList<string> Added, IReadOnlyList<string> Changed, IReadOnlyList<string> Unchanged, IReadOnlyList<string> Deactivated);

public sealed record OrganisationImportResult(bool DryRun, ImportChanges Departments, ImportChanges Sections, UserImportChanges Users);

/// <summary>
/// Imports the organisation file (部局, 課, users and roles), typically for the personnel
/// transfer (人事異動) on 1 April. All or nothing: every bad line is named and nothing
/// changes. Users the file no longer lists are deactivated, never deleted, so the journal
/// keeps their names; demo accounts are left alone.
/// </summary>
public sealed class OrganisationImport(ReformDbContext db, ILookupNormalizer normalizer, Outbox outbox, TimeProvider time)
{
    public const string FileKind = "organisation file";
    private static readonly string[] RequiredColumns = ["kind", "code", "name", "parent", "role"];

    /// <summary>Does the Content-Type name CSV (the API's choice)?</summary>
    public static bool IsCsvMediaType(string? contentType) =>
        contentType?.Split(';')[0].Trim().Equals("text/csv", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Does the file name end in .csv (an uploaded file's choice)?</summary>
    public static bool IsCsvFileName(string? fileName) =>
        Path.GetExtension(fileName ?? string.Empty).Equals(".csv", StringComparison.OrdinalIgnoreCase);

    public async Task<Outcome<OrganisationImportResult>> ImportAsync(byte[] file, string actorEmail, bool dryRun, CancellationToken cancellationToken)
    {
        try
        {
            return Outcome.Ok(await RunAsync(file, actorEmail, dryRun, cancellationToken));
        }
        catch (FileRejectedException rejected)
        {
            return rejected.ToFailure();
        }
    }

    private async Task<OrganisationImportResult> RunAsync(byte[] file, string actorEmail, bool dryRun, CancellationToken cancellationToken)
    {
        var parsed = Parse(file);
        var errors = parsed.Errors;
        if (errors.Count == 0)
        {
            // Whoever imports must still be able to sign in afterwards.
            var actor = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedEmail == normalizer.NormalizeEmail(actorEmail), cancellationToken);
            if (actor is { IsDemo: false } && !parsed.Users.Any(u => string.Equals(u.Email, actorEmail, StringComparison.OrdinalIgnoreCase)))
            {
                errors.Add(new FileError(0, $"the file does not list {actorEmail}, who is importing it; the import would lock you out"));
            }
        }

        // A demo account's email is taken (unique index): name the line instead of failing at the save.
        var demoEmails = (await db.Users.AsNoTracking().Where(u => u.IsDemo).Select(u => u.NormalizedEmail!).ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var row in parsed.Users.Where(u => demoEmails.Contains(normalizer.NormalizeEmail(u.Email))))
        {
            errors.Add(new FileError(row.Line, $"{row.Email} belongs to a demo account; the organisation file cannot list demo accounts"));
        }

        if (errors.Count > 0)
        {
            throw new FileRejectedException(FileKind, [.. errors.OrderBy(e => e.Line)]);
        }

        var departments = await db.Departments.ToDictionaryAsync(d => d.Code, StringComparer.Ordinal, cancellationToken);
        var departmentChanges = new ChangeList();
        foreach (var row in parsed.Departments)
        {
            if (!departments.TryGetValue(row.Code, out var existing))
            {
                db.Departments.Add(new Department { Code = row.Code, Name = row.Name });
                departmentChanges.Added.Add(row.Code);
            }
            else if (existing.Name != row.Name)
            {
                existing.Name = row.Name;
                departmentChanges.Changed.Add(row.Code);
            }
            else
            {
                departmentChanges.Unchanged.Add(row.Code);
            }
        }

        var sections = await db.Sections.ToDictionaryAsync(s => s.Code, StringComparer.Ordinal, cancellationToken);
        var sectionChanges = new ChangeList();
        foreach (var row in parsed.Sections)
        {
            if (!sections.TryGetValue(row.Code, out var existing))
            {
                db.Sections.Add(new Section { Code = row.Code, Name = row.Name, DepartmentCode = row.Parent });
                sectionChanges.Added.Add(row.Code);
            }
            else if (existing.Name != row.Name || existing.DepartmentCode != row.Parent)
            {
                existing.Name = row.Name;
                existing.DepartmentCode = row.Parent;
                sectionChanges.Changed.Add(row.Code);
            }
            else
            {
                sectionChanges.Unchanged.Add(row.Code);
            }
        }

        var users = await db.Users.Where(u => !u.IsDemo).ToDictionaryAsync(u => u.NormalizedEmail!, StringComparer.Ordinal, cancellationToken);
        var sectionDepartments = parsed.Sections.ToDictionary(s => s.Code, s => s.Parent, StringComparer.Ordinal);
        var userChanges = new ChangeList();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in parsed.Users)
        {
            var normalized = normalizer.NormalizeEmail(row.Email);
            listed.Add(normalized);
            var sectionCode = row.Parent.Length > 0 && sectionDepartments.ContainsKey(row.Parent) ? row.Parent : null;
            var departmentCode = sectionCode is not null ? sectionDepartments[sectionCode] : row.Parent.Length > 0 ? row.Parent : null;
            if (!users.TryGetValue(normalized, out var user))
            {
                db.Users.Add(new ReformUser
                {
                    UserName = row.Email,
                    NormalizedUserName = normalizer.NormalizeName(row.Email),
                    Email = row.Email,
                    NormalizedEmail = normalized,
                    EmailConfirmed = true,
                    SecurityStamp = Guid.NewGuid().ToString("N"),
                    DisplayName = row.Name,
                    Role = row.Role,
                    SectionCode = sectionCode,
                    DepartmentCode = departmentCode,
                });
                userChanges.Added.Add(row.Email);
            }
            else if (user.DisplayName != row.Name || user.Role != row.Role || user.SectionCode != sectionCode || user.DepartmentCode != departmentCode || !user.IsActive)
            {
                var roleChanged = user.Role != row.Role || user.SectionCode != sectionCode;
                user.DisplayName = row.Name;
                user.Role = row.Role;
                user.SectionCode = sectionCode;
                user.DepartmentCode = departmentCode;
                user.IsActive = true;
                if (roleChanged)
                {
                    // Tokens carry the role and section; a new stamp stops refreshing the old ones.
                    user.SecurityStamp = Guid.NewGuid().ToString("N");
                }

                userChanges.Changed.Add(row.Email);
            }
            else
            {
                userChanges.Unchanged.Add(row.Email);
            }
        }

        var deactivated = new List<string>();
        foreach (var user in users.Values.Where(u => u.IsActive && !listed.Contains(u.NormalizedEmail!)).OrderBy(u => u.Email, StringComparer.Ordinal))
        {
            user.IsActive = false;
            user.SecurityStamp = Guid.NewGuid().ToString("N");
            deactivated.Add(user.Email!);
        }

        var result = new OrganisationImportResult(
            dryRun,
            departmentChanges.ToChanges(),
            sectionChanges.ToChanges(),
            new UserImportChanges(userChanges.Added, userChanges.Changed, userChanges.Unchanged, deactivated));
        if (dryRun)
        {
            db.ChangeTracker.Clear();
            return result;
        }

        outbox.Add(new OrganisationImported
        {
            DepartmentsChanged = departmentChanges.Added.Count + departmentChanges.Changed.Count,
            SectionsChanged = sectionChanges.Added.Count + sectionChanges.Changed.Count,
            UsersAdded = userChanges.Added.Count,
            UsersChanged = userChanges.Changed.Count,
            UsersDeactivated = deactivated.Count,
            Actor = actorEmail,
            At = time.GetUtcNow().UtcDateTime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return result;
    }

    internal sealed record Row(int Line, string Kind, string Code, string Name, string Parent, string RoleText);

    internal sealed record UserRow(int Line, string Email, string Name, string Parent, Role Role);

    internal sealed record ParsedOrganisation(List<Row> Departments, List<Row> Sections, List<UserRow> Users, List<FileError> Errors);

    /// <summary>Reads and checks the whole file, collecting every problem with its line.</summary>
    internal static ParsedOrganisation Parse(byte[] file)
    {
        var (header, records) = CsvTable.Parse(TextFile.Decode(file, FileKind), FileKind);
        var errors = new List<FileError>();
        var missing = RequiredColumns.Where(c => !header.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
        if (missing.Count > 0)
        {
            throw new FileRejectedException(FileKind, [new FileError(1, $"the header must name the columns {string.Join(",", RequiredColumns)}; missing: {string.Join(", ", missing)}")]);
        }

        var rows = records.Select(r => new Row(r.Line, r["kind"].ToLowerInvariant(), r["code"], r["name"], r["parent"], r["role"])).ToList();
        var departments = new List<Row>();
        var sections = new List<Row>();
        var users = new List<UserRow>();
        var departmentLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var sectionLines = new Dictionary<string, int>(StringComparer.Ordinal);
        var userLines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);

        foreach (var row in rows)
        {
            CheckName(row, errors);
            switch (row.Kind)
            {
                case "department":
                    CheckCode(row, errors);
                    if (!departmentLines.TryAdd(row.Code, row.Line))
                    {
                        errors.Add(new FileError(row.Line, $"duplicate department '{row.Code}' (first on line {departmentLines[row.Code]})"));
                    }

                    departments.Add(row);
                    break;
                case "section":
                    CheckCode(row, errors);
                    if (!sectionLines.TryAdd(row.Code, row.Line))
                    {
                        errors.Add(new FileError(row.Line, $"duplicate section '{row.Code}' (first on line {sectionLines[row.Code]})"));
                    }

                    sections.Add(row);
                    break;
                case "user":
                    if (!Codes.IsEmail(row.Code))
                    {
                        errors.Add(new FileError(row.Line, $"code '{row.Code}' is not an email address"));
                    }
                    else if (!userLines.TryAdd(row.Code, row.Line))
                    {
                        errors.Add(new FileError(row.Line, $"duplicate user '{row.Code}' (first on line {userLines[row.Code]})"));
                    }

                    if (!Roles.TryParse(row.RoleText, out var role))
                    {
                        errors.Add(new FileError(row.Line, $"unknown role '{row.RoleText}'; one of {string.Join(", ", Roles.All)}"));
                        break;
                    }

                    users.Add(new UserRow(row.Line, row.Code, row.Name, row.Parent, role));
                    break;
                default:
                    errors.Add(new FileError(row.Line, $"unknown kind '{row.Kind}'; one of department, section, user"));
                    break;
            }
        }

        foreach (var section in sections.Where(s => !departmentLines.ContainsKey(s.Parent)))
        {
            errors.Add(new FileError(section.Line, $"section '{section.Code}' names unknown department '{section.Parent}'"));
        }

        foreach (var user in users)
        {
            if (Roles.NeedsSection(user.Role) && !sectionLines.ContainsKey(user.Parent))
            {
                errors.Add(new FileError(user.Line, $"user '{user.Email}' ({user.Role}) names unknown section '{user.Parent}'"));
            }
            else if (Roles.NeedsDepartment(user.Role) && !departmentLines.ContainsKey(user.Parent))
            {
                errors.Add(new FileError(user.Line, $"user '{user.Email}' ({user.Role}) names unknown department '{user.Parent}'"));
            }
            else if (!Roles.NeedsSection(user.Role) && !Roles.NeedsDepartment(user.Role) && user.Parent.Length > 0
                && !sectionLines.ContainsKey(user.Parent) && !departmentLines.ContainsKey(user.Parent))
            {
                errors.Add(new FileError(user.Line, $"user '{user.Email}' names unknown section or department '{user.Parent}'"));
            }
        }

        return new ParsedOrganisation(departments, sections, users, errors.OrderBy(e => e.Line).ToList());
    }

    private static void CheckCode(Row row, List<FileError> errors)
    {
        if (!Codes.IsSlug(row.Code) || row.Code.Length > 64)
        {
            errors.Add(new FileError(row.Line, $"code '{row.Code}' must be a lowercase ASCII slug such as gyosei-keiei (at most 64 characters)"));
        }
    }

    private static void CheckName(Row row, List<FileError> errors)
    {
        if (row.Name.Length == 0)
        {
            errors.Add(new FileError(row.Line, "name is empty"));
        }
        else if (row.Name.Length > Codes.MaxNameLength || !Codes.IsCleanText(row.Name))
        {
            errors.Add(new FileError(row.Line, $"name must be at most {Codes.MaxNameLength} characters without control characters"));
        }
    }

    private sealed class ChangeList
    {
        public List<string> Added { get; } = [];
        public List<string> Changed { get; } = [];
        public List<string> Unchanged { get; } = [];

        public ImportChanges ToChanges() => new(Added, Changed, Unchanged);
    }
}
