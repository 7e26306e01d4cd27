using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Records : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "attachments",
                table: "journal_entries",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "attachments_hash",
                table: "journal_entries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "attachment_objects",
                columns: table => new
                {
                    key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    began_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    length = table.Column<long>(type: "bigint", nullable: false),
                    chunk_size = table.Column<int>(type: "integer", nullable: false),
                    chunks = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_attachment_objects", x => x.key);
                });

            migrationBuilder.CreateTable(
                name: "attachment_sets",
                columns: table => new
                {
                    report_id = table.Column<Guid>(type: "uuid", nullable: false),
                    stamp = table.Column<int>(type: "integer", nullable: false),
                    attached = table.Column<int>(type: "integer", nullable: false),
                    stored_bytes = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_attachment_sets", x => x.report_id);
                    table.ForeignKey(
                        name: "fk_attachment_sets_progress_reports_report_id",
                        column: x => x.report_id,
                        principalTable: "progress_reports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "attachments",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    report_id = table.Column<Guid>(type: "uuid", nullable: false),
                    number = table.Column<int>(type: "integer", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    deleted_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    deleted_by_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    deleted_by = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_attachments", x => x.id);
                    table.ForeignKey(
                        name: "fk_attachments_progress_reports_report_id",
                        column: x => x.report_id,
                        principalTable: "progress_reports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "attachment_chunks",
                columns: table => new
                {
                    object_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    index = table.Column<int>(type: "integer", nullable: false),
                    data = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_attachment_chunks", x => new { x.object_key, x.index });
                    table.ForeignKey(
                        name: "fk_attachment_chunks_attachment_objects_object_key",
                        column: x => x.object_key,
                        principalTable: "attachment_objects",
                        principalColumn: "key",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "attachment_versions",
                columns: table => new
                {
                    attachment_id = table.Column<Guid>(type: "uuid", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    report_id = table.Column<Guid>(type: "uuid", nullable: false),
                    file_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    content_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    uploaded_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    uploaded_by_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    uploaded_by = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    storage_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_attachment_versions", x => new { x.attachment_id, x.version });
                    table.ForeignKey(
                        name: "fk_attachment_versions_attachments_attachment_id",
                        column: x => x.attachment_id,
                        principalTable: "attachments",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            // The chunks are files, mostly compressed already (PDF, Office, images): stored out of line without TOAST's compression attempt.
            migrationBuilder.Sql("ALTER TABLE attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;");

            migrationBuilder.CreateIndex(
                name: "ix_attachment_objects_began_at",
                table: "attachment_objects",
                column: "began_at");

            migrationBuilder.CreateIndex(
                name: "ix_attachment_versions_report_id",
                table: "attachment_versions",
                column: "report_id");

            migrationBuilder.CreateIndex(
                name: "ix_attachment_versions_storage_key",
                table: "attachment_versions",
                column: "storage_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_attachments_report_id_number",
                table: "attachments",
                columns: new[] { "report_id", "number" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "attachment_chunks");

            migrationBuilder.DropTable(
                name: "attachment_sets");

            migrationBuilder.DropTable(
                name: "attachment_versions");

            migrationBuilder.DropTable(
                name: "attachment_objects");

            migrationBuilder.DropTable(
                name: "attachments");

            migrationBuilder.DropColumn(
                name: "attachments",
                table: "journal_entries");

            migrationBuilder.DropColumn(
                name: "attachments_hash",
                table: "journal_entries");
        }
    }
}
