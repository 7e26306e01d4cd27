using AomoriReform.Workflows.Persistence;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace AomoriReform.Tests.Persistence;

/// <summary>How the host's DbContext connects to PostgreSQL.</summary>
public sealed class ConnectionTests
{
    [Fact]
    public async Task The_DbContext_skips_the_reset_on_close_and_prepares_its_statements()
    {
        await using var services = await WorkflowServices.CreateAsync(Profile.Production);
        var written = await services.Db(db => Task.FromResult(new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString())));
        Assert.True(written.NoResetOnClose);
        Assert.Equal(64, written.MaxAutoPrepare);
    }

    [Theory]
    [InlineData("Host=db;No Reset On Close=false", false)]
    [InlineData("Host=db;NoResetOnClose=false", false)]
    [InlineData("Host=db", true)]
    public void A_connection_string_that_sets_the_reset_keeps_it(string connectionString, bool expected) =>
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(PersistenceExtensions.WithoutResetOnClose(connectionString)).NoResetOnClose);
}
