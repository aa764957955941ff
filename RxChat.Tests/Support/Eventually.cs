using System.Diagnostics;

namespace RxChat.Tests.Support;

/// <summary>
/// Waits for a condition that nothing announces (a Redis replica online, a Sentinel's view of its master, the room's
/// newest entry): the condition is checked every 20 ms until it holds, and the wait fails after its deadline.
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; fails, saying <paramref name="what"/>, after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(Every);
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"not within {timeout}: {what}");
            }

            await timer.WaitForNextTickAsync().ConfigureAwait(false);
        }
    }
}
