namespace AomoriReform.Tests;

/// <summary>Waits for something asynchronous (a consumer, a job) to become true; fails with the last observation.</summary>
public static class Eventually
{
    public static async Task<T> Get<T>(Func<Task<T>> observe, Func<T, bool> done, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var value = await observe();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up waiting{(because is null ? string.Empty : $" for {because}")}; last seen: {value}");
            }

            await Task.Delay(50);
        }
    }
}
