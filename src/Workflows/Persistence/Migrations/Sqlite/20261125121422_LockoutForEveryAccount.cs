using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LockoutForEveryAccount : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Imported and demo accounts were created without lockout; every account locks after repeated failures.
            migrationBuilder.Sql("UPDATE \"AspNetUsers\" SET lockout_enabled = 1;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
