using System.Globalization;
using RxChat.Tests.Support;

namespace RxChat.Chaos;

/// <summary>One fault of the run's schedule.</summary>
/// <param name="Number">Its place in the schedule, from 1.</param>
/// <param name="At">When it is due, from the start of the run.</param>
/// <param name="Kind">What it does.</param>
/// <param name="Node">The node it hits (node faults only).</param>
/// <param name="Duration">How long the node or Redis stays down, stalled or cut off (not for subscriptions killed).</param>
/// <param name="Mode">How a path is cut (<see cref="FaultKind.NodeCutOff"/> only).</param>
internal sealed record Fault(int Number, TimeSpan At, FaultKind Kind, int Node, TimeSpan Duration, CutMode Mode)
{
    // How often each kind comes, out of 100.
    private static readonly (FaultKind Kind, int Weight)[] Weights =
    [
        (FaultKind.NodeKilled, 14), (FaultKind.NodeStalled, 16), (FaultKind.NodeCutOff, 16), (FaultKind.RedisKilled, 12),
        (FaultKind.RedisWiped, 8), (FaultKind.RedisFrozen, 10), (FaultKind.RedisFlushed, 8), (FaultKind.SubscriptionsKilled, 16),
    ];

    /// <summary>
    /// The schedule of a run: a function of its arguments only, so that one seed always gives the same faults. A
    /// fault is due every few seconds after the one before it has ended (they never overlap), from a few seconds
    /// after the start to the end of <paramref name="length"/>.
    /// </summary>
    public static IReadOnlyList<Fault> Plan(int seed, TimeSpan length, int nodes, TimeSpan nodeTimeout)
    {
        var random = new Random(seed);
        var faults = new List<Fault>();
        var at = TimeSpan.FromSeconds(3);
        TimeSpan Between(double from, double to) => TimeSpan.FromMilliseconds(Math.Round((from + (random.NextDouble() * (to - from))) * 1000));
        while (true)
        {
            at += Between(1.5, 4.5);
            if (at >= length)
            {
                return faults;
            }

            var kind = Pick(random.Next(Weights.Sum(w => w.Weight)));
            var node = random.Next(nodes);
            var timeout = nodeTimeout.TotalSeconds;
            var duration = kind switch
            {
                // Down for a moment or for longer than the node timeout.
                FaultKind.NodeKilled => Between(0.2, 1.5 * timeout),
                // Stalled for half the node timeout at most, or from 1.25 to 2 node timeouts.
                FaultKind.NodeStalled => random.Next(2) == 0 ? Between(0.1 * timeout, 0.5 * timeout) : Between(1.25 * timeout, 2 * timeout),
                FaultKind.NodeCutOff => random.Next(2) == 0 ? Between(0.1 * timeout, 0.5 * timeout) : Between(1.25 * timeout, 2.5 * timeout),
                // Mostly shorter than the node timeout (only an outage), sometimes longer.
                FaultKind.RedisKilled => random.Next(3) == 0 ? Between(1.25 * timeout, 2 * timeout) : Between(0.05 * timeout, 0.5 * timeout),
                FaultKind.RedisWiped => Between(0.05 * timeout, 0.5 * timeout),
                FaultKind.RedisFrozen => random.Next(3) == 0 ? Between(1.25 * timeout, 2 * timeout) : Between(0.1 * timeout, 0.5 * timeout),
                _ => TimeSpan.Zero,
            };
            var mode = random.Next(3) == 0 ? CutMode.Reset : CutMode.Silent;
            faults.Add(new Fault(faults.Count + 1, at, kind, node, duration, mode));
            // A node killed takes a moment to start and join again.
            at += duration + (kind == FaultKind.NodeKilled ? TimeSpan.FromSeconds(1.5) : TimeSpan.Zero);
        }
    }

    private static FaultKind Pick(int pick)
    {
        foreach (var (kind, weight) in Weights)
        {
            if (pick < weight)
            {
                return kind;
            }

            pick -= weight;
        }

        throw new ArgumentOutOfRangeException(nameof(pick));
    }

    /// <summary>One line: when, what, whom, how long.</summary>
    public override string ToString()
    {
        var seconds = Duration.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
        var what = Kind switch
        {
            FaultKind.NodeKilled => $"node {Node} killed, restarted after {seconds} s",
            FaultKind.NodeStalled => $"node {Node} stalled for {seconds} s",
            FaultKind.NodeCutOff => $"node {Node} cut off from Redis ({Mode.ToString().ToLowerInvariant()}) for {seconds} s",
            FaultKind.RedisKilled => $"Redis killed, restarted with its data after {seconds} s",
            FaultKind.RedisWiped => $"Redis killed, restarted without its data after {seconds} s",
            FaultKind.RedisFrozen => $"Redis frozen for {seconds} s",
            FaultKind.RedisFlushed => "Redis flushed (every key deleted)",
            _ => "subscriptions killed",
        };
        return $"#{Number} at {At.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s: {what}";
    }
}
