using AomoriReform.Workflows.Hosting;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AomoriReform.Workflows.Messaging;

public static class MessagingExtensions
{
    /// <summary>
    /// MassTransit over RabbitMQ when <c>ConnectionStrings:RabbitMq</c> is set, else the
    /// in-memory transport; the transactional outbox and its dispatcher on top of either.
    /// </summary>
    public static IHostApplicationBuilder AddMessaging(this IHostApplicationBuilder builder)
    {
        var profile = builder.GetReformProfile();
        // Several environments (or test hosts) can share one broker: each names its queues with
        // its own prefix, and temporary queues vanish when their host disconnects.
        var prefix = builder.Configuration["Messaging:EndpointPrefix"];
        var temporary = builder.Configuration.GetValue<bool>("Messaging:TemporaryQueues");
        // Quorum queues (replicated by Raft over a cluster's nodes) are the production recommendation;
        // classic queues stay the default, since an existing queue cannot change its type in place.
        var quorum = builder.Configuration.GetValue<bool>("Messaging:QuorumQueues");
        if (quorum && temporary)
        {
            throw new ReformConfigurationException("Messaging:QuorumQueues", "cannot be combined with Messaging:TemporaryQueues: a quorum queue is durable and never deleted on disconnect");
        }

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(string.IsNullOrWhiteSpace(prefix) ? null : prefix, false));
            if (temporary || quorum)
            {
                bus.AddConfigureEndpointsCallback((_, endpoint) =>
                {
                    if (endpoint is not IRabbitMqReceiveEndpointConfigurator rabbit)
                    {
                        return;
                    }

                    if (temporary)
                    {
                        rabbit.AutoDelete = true;
                        rabbit.Durable = false;
                    }
                    else
                    {
                        rabbit.SetQuorumQueue();
                    }
                });
            }

            bus.AddConsumers(typeof(MessagingExtensions).Assembly);
            if (profile.UsesRabbitMq)
            {
                var uri = profile.RabbitMqUri!;
                bus.UsingRabbitMq((context, rabbit) =>
                {
                    var user = uri.UserInfo.Split(':', 2);
                    var virtualHost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
                    rabbit.Host(uri.Host, (ushort)(uri.IsDefaultPort || uri.Port < 0 ? 5672 : uri.Port), virtualHost.Length == 0 ? "/" : virtualHost, host =>
                    {
                        if (user[0].Length > 0)
                        {
                            host.Username(Uri.UnescapeDataString(user[0]));
                            host.Password(user.Length > 1 ? Uri.UnescapeDataString(user[1]) : string.Empty);
                        }

                        if (uri.Scheme == "amqps")
                        {
                            host.UseSsl(ssl => ssl.ServerName = uri.Host);
                        }
                    });
                    UseRetries(rabbit);
                    rabbit.ConfigureEndpoints(context);
                });
            }
            else
            {
                bus.UsingInMemory((context, memory) =>
                {
                    UseRetries(memory);
                    memory.ConfigureEndpoints(context);
                });
            }
        });

        // The bulk writers pace themselves against the dispatcher; registered before the outbox, whose own
        // registration (for a process without a bus) is that of no pacing.
        builder.Services.AddSingleton(services => new OutboxPace(services.GetRequiredService<IOptions<OutboxOptions>>().Value.PaceLimit));
        builder.AddOutbox();
        builder.Services.AddOptions<OutboxOptions>().BindConfiguration("Outbox")
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "Outbox:BatchSize must be between 1 and 10000")
            .Validate(o => o.PollInterval > TimeSpan.Zero, "Outbox:PollInterval must be a positive time span such as 00:00:01")
            .Validate(o => o.Retention > TimeSpan.Zero, "Outbox:Retention must be a positive time span such as 7.00:00:00")
            .Validate(o => o.RedeliverAfter > TimeSpan.Zero, "Outbox:RedeliverAfter must be a positive time span such as 00:02:00")
            .Validate(o => o.PaceLimit >= TimeSpan.Zero, "Outbox:PaceLimit must be a time span of zero or more such as 00:00:10")
            .ValidateOnStart();
        builder.Services.AddHostedService<OutboxDispatcher>();
        return builder;
    }

    /// <summary>
    /// A consumer whose database is unavailable (restarting, unreachable, disk full) keeps its message
    /// and tries again, at most 30 s apart, for hours, instead of faulting it to the error queue after
    /// a few seconds: an event is never lost to a database restart. Any other failure is tried three
    /// times within about 3 s, then faults.
    /// </summary>
    private static void UseRetries(IBusFactoryConfigurator bus)
    {
        bus.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(AomoriReform.Workflows.Persistence.StorageOutage.Is);
            retry.Exponential(1_000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2));
        });
        bus.UseMessageRetry(retry =>
        {
            retry.Ignore<Exception>(AomoriReform.Workflows.Persistence.StorageOutage.Is);
            retry.Intervals(100, 500, 2_000);
        });
    }

    /// <summary>
    /// The transactional outbox: events added in a unit of work are saved with it, and the commit
    /// wakes the dispatcher. Every feature that writes through the <c>ReformDbContext</c> needs it.
    /// </summary>
    public static IHostApplicationBuilder AddOutbox(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<OutboxSignal>();
        builder.Services.AddSingleton<OutboxCommitInterceptor>();
        builder.Services.AddSingleton<Microsoft.EntityFrameworkCore.Diagnostics.IInterceptor>(services => services.GetRequiredService<OutboxCommitInterceptor>());
        builder.Services.AddScoped<Outbox>();
        builder.Services.TryAddSingleton(OutboxPace.Off);
        return builder;
    }
}
