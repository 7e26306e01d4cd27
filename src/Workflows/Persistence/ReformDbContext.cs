using System.Text.Json;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Plan;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// The one model of the product. Each database provider has a subclass so that each keeps
/// its own migrations (the SQL differs); the model itself is written once, here.
/// </summary>
public abstract class ReformDbContext(DbContextOptions options)
    : IdentityDbContext<ReformUser>(options), IDataProtectionKeyContext
{
    private static readonly JsonSerializerOptions IndicatorJson = new(JsonSerializerDefaults.Web);

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<Department> Departments => Set<Department>();
    public DbSet<Section> Sections => Set<Section>();
    public DbSet<ReformPlan> Plans => Set<ReformPlan>();
    public DbSet<Viewpoint> Viewpoints => Set<Viewpoint>();
    public DbSet<Area> Areas => Set<Area>();
    public DbSet<PlanItem> PlanItems => Set<PlanItem>();
    public DbSet<Measure> Measures => Set<Measure>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every instant is UTC in storage; SQLite would otherwise hand back Kind=Unspecified
        // and Npgsql refuses Kind=Local for timestamptz.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<NullableUtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<ReformUser>(user =>
        {
            user.Property(u => u.DisplayName).HasMaxLength(100);
            user.Property(u => u.Role).HasConversion<string>().HasMaxLength(32);
            user.Property(u => u.SectionCode).HasMaxLength(64);
            user.Property(u => u.DepartmentCode).HasMaxLength(64);
            user.HasOne(u => u.Section).WithMany().HasForeignKey(u => u.SectionCode).OnDelete(DeleteBehavior.Restrict);
            user.HasOne(u => u.Department).WithMany().HasForeignKey(u => u.DepartmentCode).OnDelete(DeleteBehavior.Restrict);
            user.HasIndex(u => new { u.SectionCode, u.Role });
        });

        builder.Entity<OutboxMessage>(outbox =>
        {
            outbox.ToTable("outbox_messages");
            outbox.HasKey(m => m.Sequence);
            outbox.Property(m => m.Sequence).ValueGeneratedOnAdd();
            outbox.Property(m => m.MessageType).HasMaxLength(200);
            outbox.Property(m => m.StreamId).HasMaxLength(64);
            outbox.HasIndex(m => m.MessageId).IsUnique();
            outbox.HasIndex(m => m.Sequence).HasDatabaseName("ix_outbox_messages_unsent").HasFilter("sent_at IS NULL");
        });

        builder.Entity<Department>(department =>
        {
            department.ToTable("departments");
            department.HasKey(d => d.Code);
            department.Property(d => d.Code).HasMaxLength(64);
            department.Property(d => d.Name).HasMaxLength(100);
            department.HasMany(d => d.Sections).WithOne(s => s.Department).HasForeignKey(s => s.DepartmentCode).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<Section>(section =>
        {
            section.ToTable("sections");
            section.HasKey(s => s.Code);
            section.Property(s => s.Code).HasMaxLength(64);
            section.Property(s => s.Name).HasMaxLength(100);
        });

        builder.Entity<ReformPlan>(plan =>
        {
            plan.ToTable("plans");
            plan.Property(p => p.Title).HasMaxLength(200);
        });

        builder.Entity<Viewpoint>(viewpoint =>
        {
            viewpoint.ToTable("viewpoints");
            viewpoint.HasKey(v => v.Code);
            viewpoint.Property(v => v.Code).HasMaxLength(16);
            viewpoint.Property(v => v.Title).HasMaxLength(200);
        });

        builder.Entity<Area>(area =>
        {
            area.ToTable("areas");
            area.HasKey(a => a.Code);
            area.Property(a => a.Code).HasMaxLength(16);
            area.Property(a => a.Title).HasMaxLength(200);
            area.HasOne<Viewpoint>().WithMany().HasForeignKey(a => a.ViewpointCode).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<PlanItem>(item =>
        {
            item.ToTable("plan_items");
            item.HasKey(i => i.Code);
            item.Property(i => i.Code).HasMaxLength(16);
            item.Property(i => i.Title).HasMaxLength(200);
            item.HasOne<Area>().WithMany().HasForeignKey(i => i.AreaCode).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<Measure>(measure =>
        {
            measure.ToTable("measures");
            measure.HasIndex(m => m.Code).IsUnique();
            measure.Property(m => m.Code).HasMaxLength(32);
            measure.Property(m => m.Title).HasMaxLength(200);
            measure.Property(m => m.RouteName).HasMaxLength(64);
            measure.HasOne<PlanItem>().WithMany().HasForeignKey(m => m.ItemCode).OnDelete(DeleteBehavior.Restrict);
            measure.HasOne(m => m.OwnerSection).WithMany().HasForeignKey(m => m.OwnerSectionCode).OnDelete(DeleteBehavior.Restrict);
            measure.HasIndex(m => m.OwnerSectionCode);
            // Indicators are read and written with their measure only, so they live in a JSON column.
            measure.Property(m => m.Indicators)
                .HasConversion(
                    list => JsonSerializer.Serialize(list, IndicatorJson),
                    json => JsonSerializer.Deserialize<List<Indicator>>(json, IndicatorJson) ?? new List<Indicator>(),
                    new ValueComparer<List<Indicator>>(
                        (a, b) => JsonSerializer.Serialize(a, IndicatorJson) == JsonSerializer.Serialize(b, IndicatorJson),
                        list => JsonSerializer.Serialize(list, IndicatorJson).GetHashCode(StringComparison.Ordinal),
                        list => JsonSerializer.Deserialize<List<Indicator>>(JsonSerializer.Serialize(list, IndicatorJson), IndicatorJson)!));
        });
    }
}
