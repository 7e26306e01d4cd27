using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FilesStampOnReport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "files_stamp",
                table: "progress_reports",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // A report that ever had a file starts with a stamp that shows it; the others read no file list.
            migrationBuilder.Sql("UPDATE progress_reports SET files_stamp = 1 WHERE id IN (SELECT report_id FROM attachment_sets WHERE attached > 0)");

            // SQLite drops a plain column in place (3.35 and later), inside the migration's transaction;
            // EF Core's DropColumn would rebuild the table with foreign keys off, outside it.
            migrationBuilder.Sql("ALTER TABLE \"attachment_sets\" DROP COLUMN \"stamp\";");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "files_stamp",
                table: "progress_reports");

            migrationBuilder.AddColumn<int>(
                name: "stamp",
                table: "attachment_sets",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);
        }
    }
}
