using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DeputiesAndKeyedJournal : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "round_deciders",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "content_hash",
                table: "journal_entries",
                type: "TEXT",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "key_id",
                table: "journal_entries",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "report_version",
                table: "journal_entries",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "ended_at",
                table: "deputies",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ended_by",
                table: "deputies",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "principal_department_code",
                table: "deputies",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "principal_role",
                table: "deputies",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "principal_section_code",
                table: "deputies",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "audit_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    seq = table.Column<int>(type: "INTEGER", nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    actor_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    actor = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    kind = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    subject = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    details = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    key_id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    previous_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "journal_checkpoints",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    seq = table.Column<int>(type: "INTEGER", nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    report_count = table.Column<int>(type: "INTEGER", nullable: false),
                    entry_count = table.Column<long>(type: "INTEGER", nullable: false),
                    heads = table.Column<string>(type: "TEXT", nullable: false),
                    heads_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    audit_length = table.Column<int>(type: "INTEGER", nullable: false),
                    audit_head = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    key_id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    previous_mac = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    mac = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_journal_checkpoints", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_events_seq",
                table: "audit_events",
                column: "seq",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_journal_checkpoints_seq",
                table: "journal_checkpoints",
                column: "seq",
                unique: true);

            // Appointments made before this migration take their principal's current role and
            // scope, so they keep working until the principal next moves.
            migrationBuilder.Sql("""
                UPDATE deputies SET
                    principal_role = (SELECT u.role FROM "AspNetUsers" u WHERE u.id = deputies.principal_id),
                    principal_section_code = (SELECT u.section_code FROM "AspNetUsers" u WHERE u.id = deputies.principal_id),
                    principal_department_code = (SELECT u.department_code FROM "AspNetUsers" u WHERE u.id = deputies.principal_id)
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "audit_events");

            migrationBuilder.DropTable(
                name: "journal_checkpoints");

            migrationBuilder.DropColumn(
                name: "round_deciders",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "content_hash",
                table: "journal_entries");

            migrationBuilder.DropColumn(
                name: "key_id",
                table: "journal_entries");

            migrationBuilder.DropColumn(
                name: "report_version",
                table: "journal_entries");

            migrationBuilder.DropColumn(
                name: "ended_at",
                table: "deputies");

            migrationBuilder.DropColumn(
                name: "ended_by",
                table: "deputies");

            migrationBuilder.DropColumn(
                name: "principal_department_code",
                table: "deputies");

            migrationBuilder.DropColumn(
                name: "principal_role",
                table: "deputies");

            migrationBuilder.DropColumn(
                name: "principal_section_code",
                table: "deputies");
        }
    }
}
