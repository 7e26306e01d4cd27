using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace AomoriReform.Tests.Persistence;

public abstract class MigrationTests(Profile profile)
{
    [Fact]
    public async Task The_migrations_apply_to_an_empty_database()
    {
        await using var database = await TestDatabase.CreateAsync(profile, migrated: false);
        await using var db = database.CreateContext();

        await db.Database.MigrateAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Equal(0, await db.Measures.CountAsync());
    }

    [Fact]
    public async Task An_upgrade_from_the_previous_migration_keeps_the_data()
    {
        await using var database = await TestDatabase.CreateAsync(profile, migrated: false);
        var migrations = database.CreateContext().Database.GetMigrations().ToList();
        Assert.True(migrations.Count >= 2, "there is a previous migration to upgrade from");
        await using (var old = database.CreateContext())
        {
            await old.GetService<IMigrator>().MigrateAsync(migrations[^2]);
            // Written as the previous schema had it: raw SQL, not the current model.
            await old.Database.ExecuteSqlRawAsync("INSERT INTO departments (code, name) VALUES ('somu', '総務部')");
            await old.Database.ExecuteSqlRawAsync("INSERT INTO sections (code, name, department_code) VALUES ('gyosei-keiei', '行政経営管理課', 'somu')");
        }

        await using var db = database.CreateContext();
        await db.Database.MigrateAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        var section = await db.Sections.Include(s => s.Department).SingleAsync();
        Assert.Equal(("gyosei-keiei", "行政経営管理課", "総務部"), (section.Code, section.Name, section.Department!.Name));
    }

    [Fact]
    public async Task The_upgrade_to_rollup_counts_counts_the_projection_that_was_there()
    {
        await using var database = await TestDatabase.CreateAsync(profile, migrated: false);
        var migrations = database.CreateContext().Database.GetMigrations().ToList();
        var before = migrations[migrations.FindIndex(m => m.EndsWith("_RollupCounts", StringComparison.Ordinal)) - 1];
        await using (var old = database.CreateContext())
        {
            await old.GetService<IMigrator>().MigrateAsync(before);
            var due = new DateOnly(2026, 5, 29);
            var at = new DateTime(2026, 4, 10, 0, 0, 0, DateTimeKind.Utc);
            foreach (var (measure, status) in new[] { ("1-1-1-01", "Draft"), ("1-1-1-02", "Draft"), ("1-1-1-03", "Submitted") })
            {
                await old.Database.ExecuteSqlAsync($"""
                    INSERT INTO report_projections (report_id, fiscal_year, measure_code, item_code, section_code, department_code, status, version, due_date, updated_at)
                    VALUES ({Guid.NewGuid()}, 2025, {measure}, '1.1.1', 'gyosei-keiei', 'somu', {status}, 1, {due}, {at})
                    """);
            }
        }

        await using var db = database.CreateContext();
        await db.Database.MigrateAsync();

        var counts = await db.RollupCounts.OrderBy(c => c.Status).Select(c => new { c.Status, c.Reports, c.ItemCode, c.DueDate }).ToListAsync();
        Assert.Equal([("Draft", 2), ("Submitted", 1)], counts.Select(c => (c.Status, c.Reports)));
        Assert.All(counts, c => Assert.Equal(("1.1.1", new DateOnly(2026, 5, 29)), (c.ItemCode, c.DueDate)));
    }

    [Fact]
    public async Task Instants_come_back_as_utc()
    {
        await using var database = await TestDatabase.CreateAsync(profile);
        var at = new DateTime(2026, 4, 1, 0, 0, 0, DateTimeKind.Utc);
        await using (var db = database.CreateContext())
        {
            db.Plans.Add(new AomoriReform.Workflows.Plan.ReformPlan { Id = Guid.NewGuid(), Title = "t", FromFiscalYear = 2024, ToFiscalYear = 2028, UpdatedAt = at });
            await db.SaveChangesAsync();
        }

        await using var read = database.CreateContext();
        var stored = await read.Plans.Select(p => p.UpdatedAt).SingleAsync();
        Assert.Equal(DateTimeKind.Utc, stored.Kind);
        Assert.Equal(at, stored);
    }
}

public sealed class MigrationTests_Embedded() : MigrationTests(Profile.Embedded);

public sealed class MigrationTests_Production() : MigrationTests(Profile.Production);
