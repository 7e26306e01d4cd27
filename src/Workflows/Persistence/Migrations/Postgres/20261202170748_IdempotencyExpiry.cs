using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class IdempotencyExpiry : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_idempotency_records_created_at",
                table: "idempotency_records",
                column: "created_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_idempotency_records_created_at",
                table: "idempotency_records");
        }
    }
}
