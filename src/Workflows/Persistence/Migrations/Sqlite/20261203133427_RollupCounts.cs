using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RollupCounts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "rollup_counts",
                columns: table => new
                {
                    fiscal_year = table.Column<int>(type: "INTEGER", nullable: false),
                    item_code = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    section_code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    department_code = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    due_date = table.Column<DateOnly>(type: "TEXT", nullable: false),
                    reports = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rollup_counts", x => new { x.fiscal_year, x.item_code, x.section_code, x.department_code, x.status, x.due_date });
                });

            // The groups of the projection as it stands; from here the projection consumer keeps them.
            migrationBuilder.Sql("""
                INSERT INTO rollup_counts (fiscal_year, item_code, section_code, department_code, status, due_date, reports)
                SELECT fiscal_year, item_code, section_code, department_code, status, due_date, COUNT(*)
                FROM report_projections
                GROUP BY fiscal_year, item_code, section_code, department_code, status, due_date
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "rollup_counts");
        }
    }
}
