using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ReportTasksIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_tasks_report_id_state",
                table: "work_tasks");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_report_id_state_kind",
                table: "work_tasks",
                columns: new[] { "report_id", "state", "kind" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_tasks_report_id_state_kind",
                table: "work_tasks");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_report_id_state",
                table: "work_tasks",
                columns: new[] { "report_id", "state" });
        }
    }
}
