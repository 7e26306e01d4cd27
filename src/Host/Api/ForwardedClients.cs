using System.Net;
using AomoriReform.Workflows.Hosting;
using Microsoft.AspNetCore.HttpOverrides;

namespace AomoriReform.Host.Api;

/// <summary>
/// The client address behind the prefecture's load balancer or reverse proxy. Only a peer named
/// in <c>ForwardedHeaders:KnownProxies</c> (addresses) or <c>ForwardedHeaders:KnownNetworks</c>
/// (CIDR ranges) is believed about <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>; from
/// anyone else the headers are ignored, so a caller cannot pick its own address (and its own
/// sign-in window). Both empty (the default): off, the peer is the client.
/// </summary>
public static class ForwardedClients
{
    public const string ProxiesKey = "ForwardedHeaders:KnownProxies";
    public const string NetworksKey = "ForwardedHeaders:KnownNetworks";

    public static WebApplicationBuilder AddForwardedClients(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetValue<bool>("FORWARDEDHEADERS_ENABLED") || builder.Configuration.GetValue<bool>("ASPNETCORE_FORWARDEDHEADERS_ENABLED"))
        {
            // That switch believes X-Forwarded-For from every peer.
            throw new ReformConfigurationException("ASPNETCORE_FORWARDEDHEADERS_ENABLED", $"trusts forwarded headers from anyone; remove it and name the proxies in {ProxiesKey} or {NetworksKey}");
        }

        var proxies = Values(builder.Configuration, ProxiesKey)
            .Select(value => IPAddress.TryParse(value, out var address) ? address : throw new ReformConfigurationException(ProxiesKey, $"'{value}' is not an IP address such as 10.0.0.5"))
            .ToList();
        var networks = Values(builder.Configuration, NetworksKey)
            .Select(value => System.Net.IPNetwork.TryParse(value, out var network) ? network : throw new ReformConfigurationException(NetworksKey, $"'{value}' is not a network such as 10.0.0.0/24"))
            .ToList();
        var enabled = proxies.Count > 0 || networks.Count > 0;
        builder.Services.AddSingleton(new ForwardedClientsSwitch(enabled));
        builder.Services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
            {
                options.KnownProxies.Add(proxy);
            }

            foreach (var network in networks)
            {
                options.KnownIPNetworks.Add(network);
            }
        });
        return builder;
    }

    public static WebApplication UseForwardedClients(this WebApplication app)
    {
        if (app.Services.GetRequiredService<ForwardedClientsSwitch>().Enabled)
        {
            app.UseForwardedHeaders();
        }

        return app;
    }

    /// <summary>A comma-separated value or an array (<c>KnownProxies:0</c>, <c>KnownProxies:1</c>, ...).</summary>
    private static IEnumerable<string> Values(IConfiguration configuration, string key)
    {
        var section = configuration.GetSection(key);
        var texts = section.Value is { } single ? [single] : section.GetChildren().Select(child => child.Value ?? string.Empty);
        return texts.SelectMany(text => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
    }

    private sealed record ForwardedClientsSwitch(bool Enabled);
}
