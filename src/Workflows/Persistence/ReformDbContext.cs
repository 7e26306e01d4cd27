using System.Text.Json;
using AomoriReform.Workflows.Calendar;
using AomoriReform.Workflows.Callers;
using AomoriReform.Workflows.CheckIns;
using AomoriReform.Workflows.Committee;
using AomoriReform.Workflows.Engine;
using AomoriReform.Workflows.Messaging;
using AomoriReform.Workflows.OpenData;
using AomoriReform.Workflows.Organisation;
using AomoriReform.Workflows.Plan;
using AomoriReform.Workflows.Records;
using AomoriReform.Workflows.Reminders;
using AomoriReform.Workflows.Reports;
using AomoriReform.Workflows.Rollups;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace AomoriReform.Workflows.Persistence;

/// <summary>
/// The one model of the product. Each database provider has a subclass so that each keeps
/// its own migrations (the SQL differs); the model itself is written once, here.
/// </summary>
public abstract class ReformDbContext(DbContextOptions options)
    : IdentityDbContext<ReformUser>(options), IDataProtectionKeyContext
{
    /// <summary>
    /// PostgreSQL's fill factor for the rows every action updates (a report, its projection): a fifth
    /// of each page is left free, so that an update whose indexed columns stay the same is written on
    /// the same page and touches no index (a heap-only tuple). With full pages every update went to
    /// another page and wrote an entry in each index.
    /// </summary>
    public const int HotFillFactor = 80;

    private static readonly JsonSerializerOptions IndicatorJson = new(JsonSerializerDefaults.Web);
    private static readonly JsonSerializerOptions ContentJson = ReportContent.Json;

    /// <summary>A report's content (and a submission's copy of it) is one JSON column.</summary>
    private static readonly ValueConverter<ReportContent, string> ContentConverter = new(
        content => JsonSerializer.Serialize(content, ContentJson),
        json => JsonSerializer.Deserialize<ReportContent>(json, ContentJson) ?? ReportContent.Empty);

    /// <summary>
    /// A report's content is an immutable record, replaced, never changed in place: its snapshot is the same
    /// instance, so change detection (which runs at every SaveChanges and every read of a set's Local view)
    /// finds it unchanged by reference, and serialises both sides only when an action put new content.
    /// </summary>
    private static readonly ValueComparer<ReportContent> ContentComparer = new(
        (a, b) => ReferenceEquals(a, b) || JsonSerializer.Serialize(a, ContentJson) == JsonSerializer.Serialize(b, ContentJson),
        content => JsonSerializer.Serialize(content, ContentJson).GetHashCode(StringComparison.Ordinal),
        content => content);

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<Department> Departments => Set<Department>();
    public DbSet<Section> Sections => Set<Section>();
    public DbSet<ReformPlan> Plans => Set<ReformPlan>();
    public DbSet<Viewpoint> Viewpoints => Set<Viewpoint>();
    public DbSet<Area> Areas => Set<Area>();
    public DbSet<PlanItem> PlanItems => Set<PlanItem>();
    public DbSet<Measure> Measures => Set<Measure>();
    public DbSet<WorkflowDefinitionRecord> WorkflowDefinitions => Set<WorkflowDefinitionRecord>();
    public DbSet<ApprovalRuleSetRecord> ApprovalRuleSets => Set<ApprovalRuleSetRecord>();
    public DbSet<CheckIn> CheckIns => Set<CheckIn>();
    public DbSet<ProgressReport> ProgressReports => Set<ProgressReport>();
    public DbSet<WorkTask> WorkTasks => Set<WorkTask>();
    public DbSet<JournalEntry> JournalEntries => Set<JournalEntry>();
    public DbSet<Deputy> Deputies => Set<Deputy>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    public DbSet<JournalCheckpoint> JournalCheckpoints => Set<JournalCheckpoint>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<ReportSubmission> ReportSubmissions => Set<ReportSubmission>();
    public DbSet<ProcessedMessage> ProcessedMessages => Set<ProcessedMessage>();
    public DbSet<ReportProjection> ReportProjections => Set<ReportProjection>();
    public DbSet<RollupCount> RollupCounts => Set<RollupCount>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<SentReminder> SentReminders => Set<SentReminder>();
    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();
    public DbSet<CommitteeOpinion> CommitteeOpinions => Set<CommitteeOpinion>();
    public DbSet<OpinionResponse> OpinionResponses => Set<OpinionResponse>();
    public DbSet<Publication> Publications => Set<Publication>();
    public DbSet<Attachment> Attachments => Set<Attachment>();
    public DbSet<AttachmentVersion> AttachmentVersions => Set<AttachmentVersion>();
    public DbSet<AttachmentSet> AttachmentSets => Set<AttachmentSet>();
    public DbSet<StoredObject> StoredObjects => Set<StoredObject>();
    public DbSet<StoredChunk> StoredChunks => Set<StoredChunk>();
    public DbSet<RecordRetention> RecordRetentions => Set<RecordRetention>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every instant is UTC in storage; SQLite would otherwise hand back Kind=Unspecified
        // and Npgsql refuses Kind=Local for timestamptz.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<NullableUtcDateTimeConverter>();
    }

    /// <summary>PostgreSQL only: the fill factor that leaves room for a row's next version on its page (<see cref="HotFillFactor"/>).</summary>
    private void LeaveRoomForInPlaceUpdates(EntityTypeBuilder entity)
    {
        if (!Database.IsSqlite())
        {
            entity.HasStorageParameter("fillfactor", HotFillFactor);
        }
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

        builder.Entity<RefreshToken>(token =>
        {
            token.ToTable("refresh_tokens");
            token.HasKey(t => t.Id);
            token.Property(t => t.Id).ValueGeneratedNever();
            token.HasOne<ReformUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
            token.HasIndex(t => new { t.UserId, t.ExpiresAt });
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
            measure.Property(m => m.ConsultSections).HasMaxLength(1000);
            measure.Property(m => m.ApprovalClass).HasMaxLength(64);
            measure.Property(m => m.RetentionClass).HasMaxLength(Retention.MaxLength);
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

        builder.Entity<WorkflowDefinitionRecord>(definition =>
        {
            definition.ToTable("workflow_definitions");
            definition.HasKey(d => new { d.Name, d.Version });
            definition.Property(d => d.Name).HasMaxLength(64);
            definition.Property(d => d.Title).HasMaxLength(200);
            definition.Property(d => d.SourceFile).HasMaxLength(200);
            definition.Property(d => d.PublishedBy).HasMaxLength(100);
            definition.Property(d => d.Sha256).HasMaxLength(64);
            definition.Property(d => d.RetiredBy).HasMaxLength(100);
        });

        builder.Entity<ApprovalRuleSetRecord>(rules =>
        {
            rules.ToTable("approval_rule_sets");
            rules.HasKey(r => new { r.Name, r.Version });
            rules.Property(r => r.Name).HasMaxLength(64);
            rules.Property(r => r.Title).HasMaxLength(200);
            rules.Property(r => r.SourceFile).HasMaxLength(200);
            rules.Property(r => r.Sha256).HasMaxLength(64);
            rules.Property(r => r.PublishedBy).HasMaxLength(100);
            rules.Property(r => r.RetiredBy).HasMaxLength(100);
            rules.HasIndex(r => r.EffectiveFrom);
        });

        builder.Entity<CheckIn>(checkIn =>
        {
            checkIn.ToTable("check_ins");
            // The year is the key: a second opening of the same year fails here, on any host.
            checkIn.HasKey(c => c.FiscalYear);
            checkIn.Property(c => c.FiscalYear).ValueGeneratedNever();
            checkIn.Property(c => c.OpenedBy).HasMaxLength(100);
        });

        builder.Entity<ProgressReport>(report =>
        {
            report.ToTable("progress_reports");
            report.Property(r => r.Version).IsConcurrencyToken();
            report.Property(r => r.FilesStamp).IsConcurrencyToken();
            report.HasIndex(r => new { r.MeasureId, r.FiscalYear }).IsUnique();
            // A year's reports in plan order (the report list's filter and order). Not the status: every
            // action changes it, and an index on it made each update of the row write a new entry in all
            // five of the table's indexes; without it PostgreSQL updates the row in place (a HOT update:
            // no index entry at all) when its page has room, which the fill factor leaves, and SQLite
            // leaves the indexes alone. The status is filtered within the year.
            report.HasIndex(r => new { r.FiscalYear, r.MeasureCode });
            LeaveRoomForInPlaceUpdates(report);

            report.HasIndex(r => new { r.SectionCode, r.FiscalYear });
            report.Property(r => r.MeasureCode).HasMaxLength(32);
            report.Property(r => r.ItemCode).HasMaxLength(16);
            report.Property(r => r.SectionCode).HasMaxLength(64);
            report.Property(r => r.DepartmentCode).HasMaxLength(64);
            report.Property(r => r.RouteName).HasMaxLength(64);
            report.Property(r => r.StepId).HasMaxLength(64);
            report.Property(r => r.Status).HasMaxLength(32);
            report.Property(r => r.SubmittedBy).HasMaxLength(64);
            report.Property(r => r.RoundDeciders).HasMaxLength(2000);
            report.Property(r => r.LastStepId).HasMaxLength(64);
            report.Property(r => r.LastActorId).HasMaxLength(64);
            report.Property(r => r.LastOnBehalfOfId).HasMaxLength(64);
            report.Property(r => r.ConsultSections).HasMaxLength(1000);
            report.Property(r => r.Concurred).HasMaxLength(1000);
            report.Property(r => r.ConsultedSections).HasMaxLength(1000);
            report.Property(r => r.ApprovalClass).HasMaxLength(64);
            report.Property(r => r.RetentionClass).HasMaxLength(Retention.MaxLength);
            report.Property(r => r.Disposition).HasMaxLength(16);
            report.HasIndex(r => r.RetentionUntil).HasDatabaseName("ix_progress_reports_retention").HasFilter("disposed_at IS NULL");
            report.Property(r => r.RouteRule).HasMaxLength(200);
            report.Property(r => r.JournalHead).HasMaxLength(64);
            report.HasOne<Measure>().WithMany().HasForeignKey(r => r.MeasureId).OnDelete(DeleteBehavior.Restrict);
            report.Property(r => r.Content).HasConversion(ContentConverter, ContentComparer);
        });

        builder.Entity<WorkTask>(task =>
        {
            task.ToTable("work_tasks");
            task.Property(t => t.StepId).HasMaxLength(64);
            task.Property(t => t.AssigneeRole).HasConversion<string>().HasMaxLength(32);
            task.Property(t => t.State).HasConversion<string>().HasMaxLength(16);
            task.Property(t => t.AssigneeSectionCode).HasMaxLength(64);
            task.Property(t => t.AssigneeDepartmentCode).HasMaxLength(64);
            task.Property(t => t.CompletedBy).HasMaxLength(64);
            task.Property(t => t.Kind).HasConversion<string>().HasMaxLength(16);
            task.Property(t => t.AssigneeUserId).HasMaxLength(64);
            // A report's open tasks of a kind (every action loads its report's): three equalities, so that
            // SQLite, which plans without statistics, prefers it to (kind, state), which holds every open
            // task of the kind and made each action's cost grow with the year's reports.
            task.HasIndex(t => new { t.ReportId, t.State, t.Kind });
            // The 後閲 of one person (personal tasks), by due date (their inbox's order).
            task.HasIndex(t => new { t.AssigneeUserId, t.State, t.DueDate }).HasFilter("assignee_user_id IS NOT NULL");
            // HQ's list of 後閲, open first by due date. Partial, and without the kind as a column: an index
            // on (kind, state) held every open action task, and SQLite (no statistics) took it for the
            // inbox's group lookup as readily as the inbox index, reading every open task of the year.
            task.HasIndex(t => new { t.State, t.DueDate }).HasDatabaseName("ix_work_tasks_post_reviews").HasFilter("kind = 'PostReview'");
            // The candidate group as one value (role, section, department), computed by the database and
            // never written or read back by EF Core: the inbox looks a caller's groups up by equality on it.
            // A planner estimates "role R and no section" from the columns as if they were independent
            // (at a million tasks: 12,000 rows for what is none) and then scans every report; one value
            // per group has statistics of its own. Stored on PostgreSQL; SQLite cannot add a stored column to
            // a table that exists, so there it is virtual (its index holds the values).
            var key = task.Property<string>(AssigneeKeys.Property).HasMaxLength(200)
                .HasComputedColumnSql(AssigneeKeys.Sql, stored: !Database.IsSqlite()).ValueGeneratedNever();
            key.Metadata.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
            key.Metadata.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
            // The inbox: open tasks of the caller's candidate groups, by due date.
            task.HasIndex(AssigneeKeys.Property, nameof(WorkTask.DueDate))
                .HasDatabaseName("ix_work_tasks_inbox").HasFilter("state = 'Open'");
            task.HasOne<ProgressReport>().WithMany().HasForeignKey(t => t.ReportId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<JournalEntry>(entry =>
        {
            entry.ToTable("journal_entries");
            entry.HasIndex(e => new { e.ReportId, e.Seq }).IsUnique();
            entry.Property(e => e.ActorId).HasMaxLength(64);
            entry.Property(e => e.Actor).HasMaxLength(100);
            entry.Property(e => e.OnBehalfOfId).HasMaxLength(64);
            entry.Property(e => e.OnBehalfOf).HasMaxLength(100);
            entry.Property(e => e.Action).HasMaxLength(16);
            entry.Property(e => e.FromStatus).HasMaxLength(32);
            entry.Property(e => e.ToStatus).HasMaxLength(32);
            entry.Property(e => e.PreviousHash).HasMaxLength(64);
            entry.Property(e => e.Hash).HasMaxLength(64);
            entry.Property(e => e.ContentHash).HasMaxLength(64);
            entry.Property(e => e.KeyId).HasMaxLength(32);
            entry.Property(e => e.StepId).HasMaxLength(64);
            entry.Property(e => e.ActorRole).HasMaxLength(32);
            entry.Property(e => e.ActorSectionCode).HasMaxLength(64);
            entry.Property(e => e.AttachmentsHash).HasMaxLength(64);
            entry.HasOne<ProgressReport>().WithMany().HasForeignKey(e => e.ReportId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<Attachment>(attachment =>
        {
            attachment.ToTable("attachments");
            attachment.HasKey(a => a.Id);
            attachment.Property(a => a.Id).ValueGeneratedNever();
            attachment.Property(a => a.DeletedById).HasMaxLength(64);
            attachment.Property(a => a.DeletedBy).HasMaxLength(100);
            attachment.HasIndex(a => new { a.ReportId, a.Number }).IsUnique();
            attachment.HasOne<ProgressReport>().WithMany().HasForeignKey(a => a.ReportId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<AttachmentVersion>(version =>
        {
            version.ToTable("attachment_versions");
            version.HasKey(v => new { v.AttachmentId, v.Version });
            version.Property(v => v.FileName).HasMaxLength(255);
            version.Property(v => v.ContentType).HasMaxLength(100);
            version.Property(v => v.Sha256).HasMaxLength(64);
            version.Property(v => v.UploadedById).HasMaxLength(64);
            version.Property(v => v.UploadedBy).HasMaxLength(100);
            version.Property(v => v.StorageKey).HasMaxLength(200);
            version.HasIndex(v => v.ReportId);
            version.HasIndex(v => v.StorageKey).IsUnique();
            version.HasOne<Attachment>().WithMany().HasForeignKey(v => v.AttachmentId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<AttachmentSet>(set =>
        {
            set.ToTable("attachment_sets");
            set.HasKey(s => s.ReportId);
            set.Property(s => s.ReportId).ValueGeneratedNever();
            set.HasOne<ProgressReport>().WithMany().HasForeignKey(s => s.ReportId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<StoredObject>(stored =>
        {
            stored.ToTable("attachment_objects");
            stored.HasKey(o => o.Key);
            stored.Property(o => o.Key).HasMaxLength(200);
            stored.HasIndex(o => o.BeganAt);
        });

        builder.Entity<RecordRetention>(retention =>
        {
            retention.ToTable("record_retentions");
            retention.HasKey(r => r.ReportId);
            retention.Property(r => r.ReportId).ValueGeneratedNever();
            retention.Property(r => r.HoldReason).HasMaxLength(RetentionDecisions.MaxReasonLength);
            retention.Property(r => r.HeldBy).HasMaxLength(100);
            retention.Property(r => r.PackageSha256).HasMaxLength(64);
            retention.Property(r => r.PackagedHead).HasMaxLength(64);
            retention.Property(r => r.Stamp).IsConcurrencyToken();
            retention.HasOne<ProgressReport>().WithMany().HasForeignKey(r => r.ReportId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<StoredChunk>(chunk =>
        {
            chunk.ToTable("attachment_chunks");
            chunk.HasKey(c => new { c.ObjectKey, c.Index });
            chunk.Property(c => c.ObjectKey).HasMaxLength(200);
            chunk.HasOne<StoredObject>().WithMany().HasForeignKey(c => c.ObjectKey).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<ReportSubmission>(submission =>
        {
            submission.ToTable("report_submissions");
            submission.HasKey(s => new { s.ReportId, s.Round });
            submission.Property(s => s.SubmittedById).HasMaxLength(64);
            submission.Property(s => s.SubmittedBy).HasMaxLength(100);
            submission.Property(s => s.Content).HasConversion(ContentConverter, ContentComparer);
            submission.HasOne<ProgressReport>().WithMany().HasForeignKey(s => s.ReportId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<AuditEvent>(audit =>
        {
            audit.ToTable("audit_events");
            audit.HasIndex(e => e.Seq).IsUnique();
            audit.Property(e => e.ActorId).HasMaxLength(64);
            audit.Property(e => e.Actor).HasMaxLength(100);
            audit.Property(e => e.Kind).HasMaxLength(32);
            audit.Property(e => e.Subject).HasMaxLength(64);
            audit.Property(e => e.Details).HasMaxLength(2000);
            audit.Property(e => e.KeyId).HasMaxLength(32);
            audit.Property(e => e.PreviousHash).HasMaxLength(64);
            audit.Property(e => e.Hash).HasMaxLength(64);
        });

        builder.Entity<JournalCheckpoint>(checkpoint =>
        {
            checkpoint.ToTable("journal_checkpoints");
            checkpoint.HasIndex(c => c.Seq).IsUnique();
            checkpoint.Property(c => c.HeadsHash).HasMaxLength(64);
            checkpoint.Property(c => c.AuditHead).HasMaxLength(64);
            checkpoint.Property(c => c.KeyId).HasMaxLength(32);
            checkpoint.Property(c => c.PreviousMac).HasMaxLength(64);
            checkpoint.Property(c => c.Mac).HasMaxLength(64);
        });

        builder.Entity<Deputy>(deputy =>
        {
            deputy.ToTable("deputies");
            deputy.Property(d => d.PrincipalId).HasMaxLength(64);
            deputy.Property(d => d.DeputyId).HasMaxLength(64);
            deputy.Property(d => d.PrincipalRole).HasConversion<string>().HasMaxLength(32);
            deputy.Property(d => d.PrincipalSectionCode).HasMaxLength(64);
            deputy.Property(d => d.PrincipalDepartmentCode).HasMaxLength(64);
            deputy.Property(d => d.EndedBy).HasMaxLength(64);
            deputy.HasIndex(d => d.PrincipalId);
            deputy.HasIndex(d => new { d.DeputyId, d.From, d.To });
            deputy.HasOne<ReformUser>().WithMany().HasForeignKey(d => d.PrincipalId).OnDelete(DeleteBehavior.Restrict);
            deputy.HasOne<ReformUser>().WithMany().HasForeignKey(d => d.DeputyId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<IdempotencyRecord>(record =>
        {
            record.ToTable("idempotency_records");
            record.HasKey(r => new { r.UserId, r.Key });
            record.Property(r => r.UserId).HasMaxLength(64);
            record.Property(r => r.Key).HasMaxLength(100);
            record.Property(r => r.RequestHash).HasMaxLength(64);
            record.HasIndex(r => r.CreatedAt);
        });

        builder.Entity<ProcessedMessage>(processed =>
        {
            processed.ToTable("processed_messages");
            processed.HasKey(p => new { p.Consumer, p.MessageId });
            processed.Property(p => p.Consumer).HasMaxLength(100);
            processed.HasIndex(p => p.ProcessedAt);
        });

        builder.Entity<ReportProjection>(projection =>
        {
            projection.ToTable("report_projections");
            projection.HasKey(p => p.ReportId);
            projection.Property(p => p.ReportId).ValueGeneratedNever();
            projection.Property(p => p.MeasureCode).HasMaxLength(32);
            projection.Property(p => p.ItemCode).HasMaxLength(16);
            projection.Property(p => p.SectionCode).HasMaxLength(64);
            projection.Property(p => p.DepartmentCode).HasMaxLength(64);
            projection.Property(p => p.Status).HasMaxLength(32);
            // A year's rows (the rebuild deletes them); not the status, which every event changes (see
            // the reports' index on the year): the row is updated in place.
            projection.HasIndex(p => p.FiscalYear);
            LeaveRoomForInPlaceUpdates(projection);

            projection.Property(p => p.Version).IsConcurrencyToken();
        });

        builder.Entity<RollupCount>(count =>
        {
            count.ToTable("rollup_counts");
            count.HasKey(c => new { c.FiscalYear, c.ItemCode, c.SectionCode, c.DepartmentCode, c.Status, c.DueDate });
            count.Property(c => c.ItemCode).HasMaxLength(16);
            count.Property(c => c.SectionCode).HasMaxLength(64);
            count.Property(c => c.DepartmentCode).HasMaxLength(64);
            count.Property(c => c.Status).HasMaxLength(32);
        });

        builder.Entity<Notification>(notification =>
        {
            notification.ToTable("notifications");
            notification.Property(n => n.UserId).HasMaxLength(64);
            notification.Property(n => n.Kind).HasConversion<string>().HasMaxLength(16);
            notification.Property(n => n.Text).HasMaxLength(500);
            notification.HasIndex(n => new { n.UserId, n.At });
            notification.HasIndex(n => n.At).HasDatabaseName("ix_notifications_unmailed").HasFilter("emailed_at IS NULL");
        });

        builder.Entity<SentReminder>(sent =>
        {
            sent.ToTable("sent_reminders");
            sent.HasKey(s => new { s.TaskId, s.Kind, s.Key });
            sent.Property(s => s.Kind).HasConversion<string>().HasMaxLength(16);
        });

        builder.Entity<CommitteeOpinion>(opinion =>
        {
            opinion.ToTable("committee_opinions");
            opinion.Property(o => o.Id).ValueGeneratedNever();
            opinion.Property(o => o.MeasureCode).HasMaxLength(32);
            opinion.Property(o => o.ItemCode).HasMaxLength(16);
            opinion.Property(o => o.Text).HasMaxLength(4000);
            opinion.Property(o => o.AuthorId).HasMaxLength(64);
            opinion.Property(o => o.Author).HasMaxLength(100);
            opinion.HasIndex(o => new { o.FiscalYear, o.MeasureCode });
            opinion.HasIndex(o => new { o.FiscalYear, o.ItemCode });
        });

        builder.Entity<OpinionResponse>(response =>
        {
            response.ToTable("opinion_responses");
            // Two revisions racing for the same number: one wins, the other is told to read again.
            response.HasIndex(r => new { r.OpinionId, r.Revision }).IsUnique();
            response.Property(r => r.Text).HasMaxLength(4000);
            response.Property(r => r.AuthorId).HasMaxLength(64);
            response.Property(r => r.Author).HasMaxLength(100);
            response.HasOne<CommitteeOpinion>().WithMany().HasForeignKey(r => r.OpinionId).OnDelete(DeleteBehavior.Restrict);
        });

        builder.Entity<Publication>(publication =>
        {
            publication.ToTable("publications");
            publication.Property(p => p.Id).ValueGeneratedNever();
            publication.Property(p => p.PublishedById).HasMaxLength(64);
            publication.Property(p => p.PublishedBy).HasMaxLength(100);
            publication.Property(p => p.WithdrawnById).HasMaxLength(64);
            publication.Property(p => p.WithdrawnBy).HasMaxLength(100);
            publication.Property(p => p.Sha256).HasMaxLength(64);
            // One current (not withdrawn) publication per year, on any host: a second publish fails here.
            publication.HasIndex(p => p.FiscalYear).IsUnique().HasDatabaseName("ix_publications_current").HasFilter("withdrawn_at IS NULL");
            publication.HasIndex(p => new { p.FiscalYear, p.PublishedAt });
        });
    }
}
