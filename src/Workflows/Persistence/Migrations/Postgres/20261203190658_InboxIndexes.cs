using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class InboxIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_tasks_assignee_user_id_state",
                table: "work_tasks");

            migrationBuilder.DropIndex(
                name: "ix_work_tasks_kind_state_due_date",
                table: "work_tasks");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_assignee_user_id_state_due_date",
                table: "work_tasks",
                columns: new[] { "assignee_user_id", "state", "due_date" },
                filter: "assignee_user_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_post_reviews",
                table: "work_tasks",
                columns: new[] { "state", "due_date" },
                filter: "kind = 'PostReview'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_work_tasks_assignee_user_id_state_due_date",
                table: "work_tasks");

            migrationBuilder.DropIndex(
                name: "ix_work_tasks_post_reviews",
                table: "work_tasks");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_assignee_user_id_state",
                table: "work_tasks",
                columns: new[] { "assignee_user_id", "state" },
                filter: "assignee_user_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_kind_state_due_date",
                table: "work_tasks",
                columns: new[] { "kind", "state", "due_date" });
        }
    }
}
