using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>
/// This node's events in its one order, waiting for their place in the room's: each room event waits for its entry
/// (which comes back in the order the node sent it, under its sequence number), and each local event waits for the
/// node's room events before it, so that the node's connections hear everything in one order. Pairs an entry of this
/// node's with the object it sent (a connection's inbox never leaves the node). No I/O: one of
/// <see cref="SharedRoomLog"/>'s decision parts, tested with tables.
/// </summary>
internal sealed class Pairing
{
    private readonly Queue<Pending> _pending = new();

    /// <summary>Events waiting: room events for their entries, local events behind them.</summary>
    public int Count => _pending.Count;

    /// <summary>
    /// A local event: returned at once (to be placed in the order now) when nothing of this node's is on its way to
    /// the room, else kept behind what is.
    /// </summary>
    public bool Local(ChatEvent e)
    {
        if (_pending.Count == 0)
        {
            return true;
        }

        _pending.Enqueue(new Pending(0, e));
        return false;
    }

    /// <summary>A room event on its way to the log under this node's sequence number <paramref name="nodeSeq"/> (rising).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nodeSeq"/> is not positive.</exception>
    public void Own(long nodeSeq, ChatEvent e)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodeSeq);
        _pending.Enqueue(new Pending(nodeSeq, e));
    }

    /// <summary>
    /// The entry under this node's number with sequence number <paramref name="nodeSeq"/> is next in the room: returns
    /// the event this node sent for it, and the local events that waited behind it (to place after it), or null when
    /// the entry is not the next one this node sent: then the log is not what this node wrote, and nothing is taken.
    /// </summary>
    public (ChatEvent Event, IReadOnlyList<ChatEvent> After)? Match(long nodeSeq)
    {
        if (!_pending.TryPeek(out var head) || head.NodeSeq != nodeSeq)
        {
            return null;
        }

        _pending.Dequeue();
        return (head.Event, TakeLocals());
    }

    /// <summary>
    /// Nothing on its way will come back (the node lost the room, or was counted gone): returns every waiting event in
    /// order, room events with the sequence number they were sent under, local ones with 0; nothing waits after.
    /// </summary>
    public IReadOnlyList<(long NodeSeq, ChatEvent Event)> Drop()
    {
        var all = _pending.Select(p => (p.NodeSeq, p.Event)).ToList();
        _pending.Clear();
        return all;
    }

    // The local events at the head: nothing of this node's before them is still on its way.
    private List<ChatEvent> TakeLocals()
    {
        var locals = new List<ChatEvent>();
        while (_pending.TryPeek(out var head) && head.NodeSeq == 0)
        {
            locals.Add(_pending.Dequeue().Event);
        }

        return locals;
    }

    private readonly record struct Pending(long NodeSeq, ChatEvent Event);
}
