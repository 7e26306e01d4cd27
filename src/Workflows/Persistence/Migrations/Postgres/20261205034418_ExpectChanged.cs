using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <summary>
    /// <c>expect_changed(n, what)</c> raises SQLSTATE AR409 unless exactly one row changed. ChangeBatch
    /// wraps each checked UPDATE in it, so that a row not as loaded (another transaction changed it
    /// first) fails the whole batch, which PostgreSQL runs as one implicit transaction: nothing of it
    /// commits, as with SaveChanges' concurrency check and rollback.
    /// </summary>
    public partial class ExpectChanged : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION expect_changed(changed bigint, what text) RETURNS bigint LANGUAGE plpgsql AS $$
                BEGIN
                    IF changed <> 1 THEN
                        RAISE EXCEPTION '% row not as loaded: % rows changed, 1 expected (another transaction changed it first)', what, changed
                            USING ERRCODE = 'AR409';
                    END IF;
                    RETURN changed;
                END
                $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP FUNCTION expect_changed(bigint, text);");
        }
    }
}
