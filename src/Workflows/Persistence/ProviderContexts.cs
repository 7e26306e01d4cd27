using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace AomoriReform.Workflows.Persistence;

/// <summary>The production profile's context; its migrations are in Migrations/Postgres.</summary>
public sealed class PostgresReformDbContext(DbContextOptions<PostgresReformDbContext> options) : ReformDbContext(options);

/// <summary>The embedded profile's context; its migrations are in Migrations/Sqlite.</summary>
public sealed class SqliteReformDbContext(DbContextOptions<SqliteReformDbContext> options) : ReformDbContext(options);

/// <summary>Lets <c>dotnet ef migrations add --context PostgresReformDbContext</c> build the model without a server.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresReformDbContext>
{
    public PostgresReformDbContext CreateDbContext(string[] args) =>
        new(PersistenceExtensions.ConfigurePostgres(new DbContextOptionsBuilder<PostgresReformDbContext>(), "Host=127.0.0.1;Database=design_time").Options);
}

public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteReformDbContext>
{
    public SqliteReformDbContext CreateDbContext(string[] args) =>
        new(PersistenceExtensions.ConfigureSqlite(new DbContextOptionsBuilder<SqliteReformDbContext>(), "Data Source=design-time.db").Options);
}
