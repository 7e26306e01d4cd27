using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ReformPlan : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "plans",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    from_fiscal_year = table.Column<int>(type: "integer", nullable: false),
                    to_fiscal_year = table.Column<int>(type: "integer", nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_plans", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "viewpoints",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    order = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_viewpoints", x => x.code);
                });

            migrationBuilder.CreateTable(
                name: "areas",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    viewpoint_code = table.Column<string>(type: "character varying(16)", nullable: false),
                    order = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_areas", x => x.code);
                    table.ForeignKey(
                        name: "fk_areas_viewpoints_viewpoint_code",
                        column: x => x.viewpoint_code,
                        principalTable: "viewpoints",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "plan_items",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    area_code = table.Column<string>(type: "character varying(16)", nullable: false),
                    order = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_plan_items", x => x.code);
                    table.ForeignKey(
                        name: "fk_plan_items_areas_area_code",
                        column: x => x.area_code,
                        principalTable: "areas",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "measures",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    code = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    item_code = table.Column<string>(type: "character varying(16)", nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    owner_section_code = table.Column<string>(type: "character varying(64)", nullable: false),
                    route_name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    indicators = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_measures", x => x.id);
                    table.ForeignKey(
                        name: "fk_measures_plan_items_item_code",
                        column: x => x.item_code,
                        principalTable: "plan_items",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_measures_sections_owner_section_code",
                        column: x => x.owner_section_code,
                        principalTable: "sections",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_areas_viewpoint_code",
                table: "areas",
                column: "viewpoint_code");

            migrationBuilder.CreateIndex(
                name: "ix_measures_code",
                table: "measures",
                column: "code",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_measures_item_code",
                table: "measures",
                column: "item_code");

            migrationBuilder.CreateIndex(
                name: "ix_measures_owner_section_code",
                table: "measures",
                column: "owner_section_code");

            migrationBuilder.CreateIndex(
                name: "ix_plan_items_area_code",
                table: "plan_items",
                column: "area_code");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "measures");

            migrationBuilder.DropTable(
                name: "plans");

            migrationBuilder.DropTable(
                name: "plan_items");

            migrationBuilder.DropTable(
                name: "areas");

            migrationBuilder.DropTable(
                name: "viewpoints");
        }
    }
}
