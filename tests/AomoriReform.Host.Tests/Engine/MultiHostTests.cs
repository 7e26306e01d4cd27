using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;

namespace AomoriReform.Tests.Engine;

/// <summary>Several hosts on one PostgreSQL and one RabbitMQ: no state lives in a host.</summary>
[Collection(SharedHost.Name)]
public sealed class MultiHostTests
{
    [Fact]
    public async Task Two_hosts_racing_to_open_the_same_year_open_it_once_and_share_sign_ins()
    {
        await using var database = await TestDatabase.CreateAsync(Profile.Production);
        await using var first = new ReformApp(database, "Development");
        await using var second = new ReformApp(database, "Development");
        var one = await first.SignedInAsync("hq.admin@demo.local");
        var other = second.CreateClient();
        other.DefaultRequestHeaders.Authorization = one.DefaultRequestHeaders.Authorization;

        var me = await other.GetFromJsonAsync<JsonElement>("/api/me");
        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            (i % 2 == 0 ? one : other).PostAsJsonAsync("/api/checkins", new { fiscalYear = 2025, dueDate = "2026-05-29" })));

        Assert.Equal("hq.admin@demo.local", me.GetProperty("email").GetString());
        Assert.Equal(1, responses.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        var measures = await first.WithDbAsync(db => db.Measures.CountAsync());
        Assert.Equal(measures, await second.WithDbAsync(db => db.ProgressReports.CountAsync()));
        Assert.Equal(1, await first.WithDbAsync(db => db.CheckIns.CountAsync()));
    }
}
