using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ApprovalRules : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "published_by",
                table: "workflow_definitions",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "retired_at",
                table: "workflow_definitions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "retired_by",
                table: "workflow_definitions",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "sha256",
                table: "workflow_definitions",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "budget",
                table: "measures",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "approval_rule_sets",
                columns: table => new
                {
                    name = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    version = table.Column<int>(type: "INTEGER", nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    effective_from = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    definition = table.Column<string>(type: "TEXT", nullable: false),
                    source_file = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    published_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    published_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    retired_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    retired_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_approval_rule_sets", x => new { x.name, x.version });
                });

            migrationBuilder.CreateIndex(
                name: "ix_approval_rule_sets_effective_from",
                table: "approval_rule_sets",
                column: "effective_from");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "approval_rule_sets");

            migrationBuilder.DropColumn(
                name: "published_by",
                table: "workflow_definitions");

            migrationBuilder.DropColumn(
                name: "retired_at",
                table: "workflow_definitions");

            migrationBuilder.DropColumn(
                name: "retired_by",
                table: "workflow_definitions");

            migrationBuilder.DropColumn(
                name: "sha256",
                table: "workflow_definitions");

            migrationBuilder.DropColumn(
                name: "budget",
                table: "measures");
        }
    }
}
