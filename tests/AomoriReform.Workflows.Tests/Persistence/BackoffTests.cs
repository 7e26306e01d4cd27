using AomoriReform.Workflows.Persistence;

namespace AomoriReform.Tests.Persistence;

/// <summary>How long the outbox dispatcher and the caller change feed wait after a failure.</summary>
public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 500)]
    [InlineData(2, 1_000)]
    [InlineData(3, 2_000)]
    [InlineData(6, 16_000)]
    [InlineData(7, 30_000)]
    [InlineData(50, 30_000)]
    public void The_wait_doubles_from_half_a_second_up_to_30_seconds(int failures, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Backoff.After(failures));
}
