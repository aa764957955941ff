using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The nodes of a room and the room's clock, decided in log time alike on every node (PROTOCOL.md, Rooms across
/// nodes): each room entry says that its node is alive at the entry's time; a node silent for longer than the node
/// timeout while the room went on is gone, at that point of the order. Immutable; part of <see cref="ChatState"/>.
/// </summary>
/// <remarks>
/// Every live node appends at least one heartbeat per <see cref="RoomSettings.NodeHeartbeat"/>, so a longer gap between
/// two entries means the whole log was away (Redis, or every node at once): nobody is to blame, and the gap counts only
/// as one heartbeat toward each node's silence. Without that, a node whose last entry came a little before the
/// others' would be counted gone after an outage shorter than the timeout. Node 0 is the room itself (the entries the
/// log writes on its own, and every entry of a room on one node): it is never a node.
/// </remarks>
/// <param name="Time">The room's time: the latest entry's, never going back; null before the first entry.</param>
/// <param name="Nodes">Each live node's last entry time, by node number.</param>
/// <param name="Fenced">
/// Nodes counted gone for their silence whose later entries may still be in the log: they are ignored until the log
/// says that no more can come (<see cref="NodeRetired"/>).
/// </param>
internal sealed record NodeLiveness(DateTimeOffset? Time, ImmutableSortedDictionary<long, DateTimeOffset> Nodes, ImmutableHashSet<long> Fenced)
{
    /// <summary>No entry yet, no node.</summary>
    public static readonly NodeLiveness Empty = new(null, ImmutableSortedDictionary<long, DateTimeOffset>.Empty, []);

    /// <summary>
    /// One room entry from <paramref name="node"/> at <paramref name="at"/>: the clock moves on (never back), the node is
    /// alive, and every other node silent past <see cref="RoomSettings.NodeTimeout"/> is returned, in number order.
    /// </summary>
    /// <returns>The liveness after the entry, whether <paramref name="node"/> is new, and the nodes found silent.</returns>
    public (NodeLiveness Next, bool Joined, ImmutableArray<long> Silent) Tick(long node, DateTimeOffset at, RoomSettings settings)
    {
        var time = Time is { } before && at < before ? before : at;
        var nodes = Nodes;
        var timeout = settings.NodeTimeout;
        var pause = Time is { } previous ? time - previous - settings.NodeHeartbeat : TimeSpan.Zero;
        if (timeout > TimeSpan.Zero && pause > TimeSpan.Zero && !nodes.IsEmpty)
        {
            nodes = ImmutableSortedDictionary.CreateRange(nodes.Select(n => KeyValuePair.Create(n.Key, n.Value + pause)));
        }

        var joined = node != 0 && !nodes.ContainsKey(node);
        if (node != 0)
        {
            nodes = nodes.SetItem(node, time);
        }

        var silent = timeout > TimeSpan.Zero
            ? [.. nodes.Where(n => n.Key != node && time - n.Value > timeout).Select(n => n.Key)]
            : ImmutableArray<long>.Empty;
        return (this with { Time = time, Nodes = nodes }, joined, silent);
    }

    /// <summary>
    /// <paramref name="node"/> is gone. <paramref name="fence"/>: its later entries may still come and are to be
    /// ignored (a node counted gone for its silence); otherwise none can (it stopped, or it was retired).
    /// </summary>
    public NodeLiveness Gone(long node, bool fence) =>
        this with { Nodes = Nodes.Remove(node), Fenced = fence ? Fenced.Add(node) : Fenced };

    /// <summary>No entry of <paramref name="node"/>'s can follow: it is neither live nor fenced any more.</summary>
    public NodeLiveness Retired(long node) => this with { Nodes = Nodes.Remove(node), Fenced = Fenced.Remove(node) };
}
