using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RetentionDecisions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "disposed_at",
                table: "progress_reports",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "disposition",
                table: "progress_reports",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "retention_until",
                table: "progress_reports",
                type: "date",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "record_retentions",
                columns: table => new
                {
                    report_id = table.Column<Guid>(type: "uuid", nullable: false),
                    listed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    hold_reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    held_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    held_by = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    package_sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    packaged_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    packaged_head = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    stamp = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_record_retentions", x => x.report_id);
                    table.ForeignKey(
                        name: "fk_record_retentions_progress_reports_report_id",
                        column: x => x.report_id,
                        principalTable: "progress_reports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_progress_reports_retention",
                table: "progress_reports",
                column: "retention_until",
                filter: "disposed_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "record_retentions");

            migrationBuilder.DropIndex(
                name: "ix_progress_reports_retention",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "disposed_at",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "disposition",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "retention_until",
                table: "progress_reports");
        }
    }
}
