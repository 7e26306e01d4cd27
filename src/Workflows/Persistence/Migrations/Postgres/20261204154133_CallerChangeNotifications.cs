using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace AomoriReform.Workflows.Persistence.Migrations.Postgres
{
    /// <summary>
    /// Every change to the users or the deputy appointments notifies the channel the hosts' caller
    /// caches listen on (<c>CallerChangeFeed.Channel</c>), whichever process or statement made it;
    /// PostgreSQL delivers the notification when the change commits, and never for a rollback.
    /// </summary>
    public partial class CallerChangeNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION notify_callers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('callers_changed', '');
                    RETURN NULL;
                END
                $$;
                CREATE TRIGGER users_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "AspNetUsers"
                    FOR EACH STATEMENT EXECUTE FUNCTION notify_callers_changed();
                CREATE TRIGGER deputies_callers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deputies
                    FOR EACH STATEMENT EXECUTE FUNCTION notify_callers_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER deputies_callers_changed ON deputies;
                DROP TRIGGER users_callers_changed ON "AspNetUsers";
                DROP FUNCTION notify_callers_changed();
                """);
        }
    }
}
