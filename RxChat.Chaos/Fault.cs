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
/// <param name="Frozen">
/// <see cref="FaultKind.RedisMasterKilled"/> only: how many replicas were frozen and cut off from the master for
/// <see cref="Duration"/> before it was killed: 0 none, 1 one (the node number picks which), 2 every replica.
/// </param>
internal sealed record Fault(int Number, TimeSpan At, FaultKind Kind, int Node, TimeSpan Duration, CutMode Mode, int Frozen = 0)
{
    // How often each kind comes, out of 100, on one redis-server.
    private static readonly (FaultKind Kind, int Weight)[] Weights =
    [
        (FaultKind.NodeKilled, 14), (FaultKind.NodeStalled, 16), (FaultKind.NodeCutOff, 16), (FaultKind.RedisKilled, 12),
        (FaultKind.RedisWiped, 8), (FaultKind.RedisFrozen, 10), (FaultKind.RedisFlushed, 8), (FaultKind.SubscriptionsKilled, 16),
    ];

    // With Sentinel, the same and failovers, out of 124.
    private static readonly (FaultKind Kind, int Weight)[] FailoverWeights =
        [.. Weights, (FaultKind.RedisFailover, 10), (FaultKind.RedisMasterKilled, 14)];

    /// <summary>
    /// The schedule of a run: a function of its arguments only, so that one seed always gives the same faults. A
    /// fault is due every few seconds after the one before it has ended (they never overlap), from a few seconds
    /// after the start to the end of <paramref name="length"/>. With <paramref name="failovers"/> (Redis under
    /// Sentinel) failovers are among the faults; without, a seed gives the schedule it gave before there were any.
    /// </summary>
    public static IReadOnlyList<Fault> Plan(int seed, TimeSpan length, int nodes, TimeSpan nodeTimeout, bool failovers = false)
    {
        var random = new Random(seed);
        var faults = new List<Fault>();
        var at = TimeSpan.FromSeconds(3);
        var weights = failovers ? FailoverWeights : Weights;
        TimeSpan Between(double from, double to) => TimeSpan.FromMilliseconds(Math.Round((from + (random.NextDouble() * (to - from))) * 1000));
        while (true)
        {
            at += Between(1.5, 4.5);
            if (at >= length)
            {
                return faults;
            }

            var kind = Pick(weights, random.Next(weights.Sum(w => w.Weight)));
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
            var frozen = 0;
            if (kind == FaultKind.RedisMasterKilled)
            {
                // Two in five with the replicas in step, one in five with one lagging, two in five with every one lagging.
                frozen = random.Next(5) switch { < 2 => 0, 2 => 1, _ => 2 };
                duration = frozen == 0 ? TimeSpan.Zero : Between(0.5, 2.5);
            }

            faults.Add(new Fault(faults.Count + 1, at, kind, node, duration, mode, frozen));
            // A node killed takes a moment to start and join again; a failover, to be agreed on and done (about 1 to
            // 2.5 s measured), and the old master to follow the new one.
            at += duration + kind switch
            {
                FaultKind.NodeKilled => TimeSpan.FromSeconds(1.5),
                FaultKind.RedisFailover or FaultKind.RedisMasterKilled => TimeSpan.FromSeconds(3),
                _ => TimeSpan.Zero,
            };
        }
    }

    private static FaultKind Pick((FaultKind Kind, int Weight)[] weights, int pick)
    {
        foreach (var (kind, weight) in weights)
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
            FaultKind.RedisFailover => "Redis failed over (SENTINEL FAILOVER)",
            FaultKind.RedisMasterKilled => "Redis master killed, Sentinel fails over, the killed one restarted as a replica" + Frozen switch
            {
                0 => "",
                1 => $", after one replica was frozen and cut off from the master for {seconds} s",
                _ => $", after every replica was frozen and cut off from the master for {seconds} s (the promoted one lags)",
            },
            _ => "subscriptions killed",
        };
        return $"#{Number} at {At.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture)} s: {what}";
    }
}
