using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class HotUpdates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_report_projections_fiscal_year_status",
                table: "report_projections");

            migrationBuilder.DropIndex(
                name: "ix_progress_reports_fiscal_year_status",
                table: "progress_reports");

            migrationBuilder.AlterTable(
                name: "report_projections")
                .Annotation("Npgsql:StorageParameter:fillfactor", 80);

            migrationBuilder.AlterTable(
                name: "progress_reports")
                .Annotation("Npgsql:StorageParameter:fillfactor", 80);

            migrationBuilder.CreateIndex(
                name: "ix_report_projections_fiscal_year",
                table: "report_projections",
                column: "fiscal_year");

            migrationBuilder.CreateIndex(
                name: "ix_progress_reports_fiscal_year_measure_code",
                table: "progress_reports",
                columns: new[] { "fiscal_year", "measure_code" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_report_projections_fiscal_year",
                table: "report_projections");

            migrationBuilder.DropIndex(
                name: "ix_progress_reports_fiscal_year_measure_code",
                table: "progress_reports");

            migrationBuilder.AlterTable(
                name: "report_projections")
                .OldAnnotation("Npgsql:StorageParameter:fillfactor", 80);

            migrationBuilder.AlterTable(
                name: "progress_reports")
                .OldAnnotation("Npgsql:StorageParameter:fillfactor", 80);

            migrationBuilder.CreateIndex(
                name: "ix_report_projections_fiscal_year_status",
                table: "report_projections",
                columns: new[] { "fiscal_year", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_progress_reports_fiscal_year_status",
                table: "progress_reports",
                columns: new[] { "fiscal_year", "status" });
        }
    }
}
