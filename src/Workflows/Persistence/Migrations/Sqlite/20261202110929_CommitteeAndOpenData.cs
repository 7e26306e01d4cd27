using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CommitteeAndOpenData : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "committee_opinions",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    fiscal_year = table.Column<int>(type: "INTEGER", nullable: false),
                    measure_code = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    item_code = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    text = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    author_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    author = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_committee_opinions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "publications",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "TEXT", nullable: false),
                    fiscal_year = table.Column<int>(type: "INTEGER", nullable: false),
                    published_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    published_by_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    published_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    withdrawn_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    withdrawn_by_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    withdrawn_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    measure_count = table.Column<int>(type: "INTEGER", nullable: false),
                    redactions = table.Column<int>(type: "INTEGER", nullable: false),
                    sha256 = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    snapshot = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_publications", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "opinion_responses",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    opinion_id = table.Column<Guid>(type: "TEXT", nullable: false),
                    revision = table.Column<int>(type: "INTEGER", nullable: false),
                    text = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    author_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    author = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_opinion_responses", x => x.id);
                    table.ForeignKey(
                        name: "fk_opinion_responses_committee_opinions_opinion_id",
                        column: x => x.opinion_id,
                        principalTable: "committee_opinions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_committee_opinions_fiscal_year_item_code",
                table: "committee_opinions",
                columns: new[] { "fiscal_year", "item_code" });

            migrationBuilder.CreateIndex(
                name: "ix_committee_opinions_fiscal_year_measure_code",
                table: "committee_opinions",
                columns: new[] { "fiscal_year", "measure_code" });

            migrationBuilder.CreateIndex(
                name: "ix_opinion_responses_opinion_id_revision",
                table: "opinion_responses",
                columns: new[] { "opinion_id", "revision" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_publications_current",
                table: "publications",
                column: "fiscal_year",
                unique: true,
                filter: "withdrawn_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_publications_fiscal_year_published_at",
                table: "publications",
                columns: new[] { "fiscal_year", "published_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "opinion_responses");

            migrationBuilder.DropTable(
                name: "publications");

            migrationBuilder.DropTable(
                name: "committee_opinions");
        }
    }
}
