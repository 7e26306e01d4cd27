using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InboxAssigneeKey : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_tasks_inbox",
                table: "work_tasks");

            migrationBuilder.AddColumn<string>(
                name: "assignee_key",
                table: "work_tasks",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true,
                computedColumnSql: "assignee_role || ':' || COALESCE(assignee_section_code, '') || ':' || COALESCE(assignee_department_code, '')",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_inbox",
                table: "work_tasks",
                columns: new[] { "assignee_key", "due_date" },
                filter: "state = 'Open'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_tasks_inbox",
                table: "work_tasks");

            migrationBuilder.DropColumn(
                name: "assignee_key",
                table: "work_tasks");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_inbox",
                table: "work_tasks",
                columns: new[] { "assignee_role", "assignee_section_code", "assignee_department_code", "due_date" },
                filter: "state = 'Open'");
        }
    }
}
