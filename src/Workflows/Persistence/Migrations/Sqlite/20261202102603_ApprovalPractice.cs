using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ApprovalPractice : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "assignee_user_id",
                table: "work_tasks",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "journal_seq",
                table: "work_tasks",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "kind",
                table: "work_tasks",
                type: "TEXT",
                maxLength: 16,
                nullable: false,
                defaultValue: "Action");

            migrationBuilder.AddColumn<string>(
                name: "approval_class",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "concurred",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<int>(
                name: "consult_required",
                table: "progress_reports",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "consult_sections",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "consulted_sections",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "last_actor_id",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "last_on_behalf_of_id",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "last_step_id",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "returned_round",
                table: "progress_reports",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "round",
                table: "progress_reports",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "route_rule",
                table: "progress_reports",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "approval_class",
                table: "measures",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "consult_required",
                table: "measures",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "consult_sections",
                table: "measures",
                type: "TEXT",
                maxLength: 1000,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "actor_role",
                table: "journal_entries",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "actor_section_code",
                table: "journal_entries",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "step_id",
                table: "journal_entries",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "report_submissions",
                columns: table => new
                {
                    report_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    round = table.Column<int>(type: "INTEGER", nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    content = table.Column<string>(type: "TEXT", nullable: false),
                    submitted_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    submitted_by_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    submitted_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_report_submissions", x => new { x.report_id, x.round });
                    table.ForeignKey(
                        name: "fk_report_submissions_progress_reports_report_id",
                        column: x => x.report_id,
                        principalTable: "progress_reports",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_assignee_user_id_state",
                table: "work_tasks",
                columns: new[] { "assignee_user_id", "state" },
                filter: "assignee_user_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_work_tasks_kind_state_due_date",
                table: "work_tasks",
                columns: new[] { "kind", "state", "due_date" });

            // Reports submitted before this migration: their round is the number of their submissions.
            migrationBuilder.Sql("UPDATE progress_reports SET round = (SELECT COUNT(*) FROM journal_entries WHERE journal_entries.report_id = progress_reports.id AND journal_entries.action = 'submit')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "report_submissions");

            migrationBuilder.DropIndex(
                name: "ix_work_tasks_assignee_user_id_state",
                table: "work_tasks");

            migrationBuilder.DropIndex(
                name: "ix_work_tasks_kind_state_due_date",
                table: "work_tasks");

            migrationBuilder.DropColumn(
                name: "assignee_user_id",
                table: "work_tasks");

            migrationBuilder.DropColumn(
                name: "journal_seq",
                table: "work_tasks");

            migrationBuilder.DropColumn(
                name: "kind",
                table: "work_tasks");

            migrationBuilder.DropColumn(
                name: "approval_class",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "concurred",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "consult_required",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "consult_sections",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "consulted_sections",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "last_actor_id",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "last_on_behalf_of_id",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "last_step_id",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "returned_round",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "round",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "route_rule",
                table: "progress_reports");

            migrationBuilder.DropColumn(
                name: "approval_class",
                table: "measures");

            migrationBuilder.DropColumn(
                name: "consult_required",
                table: "measures");

            migrationBuilder.DropColumn(
                name: "consult_sections",
                table: "measures");

            migrationBuilder.DropColumn(
                name: "actor_role",
                table: "journal_entries");

            migrationBuilder.DropColumn(
                name: "actor_section_code",
                table: "journal_entries");

            migrationBuilder.DropColumn(
                name: "step_id",
                table: "journal_entries");
        }
    }
}
