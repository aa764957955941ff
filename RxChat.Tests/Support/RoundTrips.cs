using System.Diagnostics;

namespace RxChat.Tests.Support;

/// <summary>
/// Ping-pong between two clients in the room (on two nodes, say): each round trip is a line from the first that the
/// second reads, then a line from the second that the first reads, timed. Across nodes a line arrives at once only
/// through the room's subscription; without it, it waits for the next read a heartbeat brings.
/// </summary>
internal static class RoundTrips
{
    /// <summary>Times <paramref name="count"/> round trips between <paramref name="a"/> and <paramref name="b"/>, one after another.</summary>
    public static async Task<List<TimeSpan>> TimeAsync((string Name, LineClient Client) a, (string Name, LineClient Client) b, int count = 10)
    {
        var took = new List<TimeSpan>(count);
        for (var i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            await a.Client.SendAsync($"ping {i}").ConfigureAwait(false);
            await b.Client.ReadUntilAsync($"{a.Name}: ping {i}").ConfigureAwait(false);
            await b.Client.SendAsync($"pong {i}").ConfigureAwait(false);
            await a.Client.ReadUntilAsync($"{b.Name}: pong {i}").ConfigureAwait(false);
            took.Add(clock.Elapsed);
        }

        return took;
    }

    /// <summary>The median of <paramref name="took"/> (the upper one of an even count).</summary>
    public static TimeSpan Median(IReadOnlyList<TimeSpan> took) => took.Order().ElementAt(took.Count / 2);

    /// <summary>The round trips as a log line shows them.</summary>
    public static string Text(IEnumerable<TimeSpan> took) => string.Join(", ", took.Select(t => $"{t.TotalMilliseconds:F0} ms"));
}
