using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>
/// Newcomers on this node that are not in the room yet (PROTOCOL.md, Rooms across nodes: ready means ready): waiting
/// while the node cannot serve, then entering (their arrival on its way to the log) until the room has it. What a
/// newcomer sends meanwhile (a name typed before the prompt, its departure) is held and goes to the room after its
/// arrival, or nowhere if it never enters; so a newcomer turned away is never heard of. A newcomer not in the room by
/// its deadline (the node timeout after it came) is turned away. No I/O, no clock: one of
/// <see cref="SharedRoomLog"/>'s decision parts, tested with tables.
/// </summary>
/// <param name="maxHeld">Events held per newcomer; later ones are dropped (nobody types that much before a prompt).</param>
internal sealed class Lobby(int maxHeld = 64)
{
    // In order of arrival, and by connection number (the node part of an id changes with the node's number).
    private readonly LinkedList<Newcomer> _order = new();
    private readonly Dictionary<long, LinkedListNode<Newcomer>> _newcomers = [];

    /// <summary>Newcomers not in the room yet.</summary>
    public int Count => _newcomers.Count;

    /// <summary>Whether the connection is a newcomer not in the room yet.</summary>
    public bool Contains(ConnectionId id) => _newcomers.ContainsKey(id.Value);

    /// <summary>A newcomer that must wait: the node cannot serve now. Turned away after <paramref name="deadline"/>.</summary>
    public void Wait(ClientWired arrival, DateTimeOffset deadline)
    {
        _newcomers[arrival.Id.Value] = _order.AddLast(new Newcomer(arrival, deadline));
    }

    /// <summary>
    /// A newcomer whose arrival goes to the log now (the node serves): it is entering until <see cref="Entered"/>.
    /// </summary>
    public void Entering(ClientWired arrival, DateTimeOffset deadline)
    {
        Wait(arrival, deadline);
        _newcomers[arrival.Id.Value].Value.Submitted = true;
    }

    /// <summary>Every newcomer waiting, in order of arrival, now entering: their arrivals go to the log.</summary>
    public IReadOnlyList<ClientWired> Admit()
    {
        var admitted = new List<ClientWired>();
        foreach (var newcomer in _order)
        {
            if (!newcomer.Submitted)
            {
                newcomer.Submitted = true;
                admitted.Add(newcomer.Arrival);
            }
        }

        return admitted;
    }

    /// <summary>
    /// Every newcomer entering is waiting again (what carried its arrival was lost: the node lost the room, or was
    /// counted gone); its deadline stays.
    /// </summary>
    public void Unadmit()
    {
        foreach (var newcomer in _order)
        {
            newcomer.Submitted = false;
        }
    }

    /// <summary>
    /// Holds <paramref name="e"/> if it is a newcomer's (returns true): a line or its departure. A departure of a
    /// newcomer still waiting ends its wait: it is removed, and returned as <paramref name="left"/>.
    /// </summary>
    public bool Hold(ChatEvent e, out ClientWired? left)
    {
        left = null;
        if (!_newcomers.TryGetValue(e.Id.Value, out var node))
        {
            return false;
        }

        var newcomer = node.Value;
        if (e is ClientLeft && !newcomer.Submitted)
        {
            Remove(e.Id.Value);
            left = newcomer.Arrival;
            return true;
        }

        if (newcomer.Held.Count < maxHeld || e is ClientLeft)
        {
            newcomer.Held.Add(e);
        }

        return true;
    }

    /// <summary>The room has the newcomer's arrival: it is a client of the room; returns what it sent meanwhile, in order.</summary>
    public IReadOnlyList<ChatEvent> Entered(ConnectionId id)
    {
        if (!_newcomers.TryGetValue(id.Value, out var node))
        {
            return [];
        }

        Remove(id.Value);
        return node.Value.Held;
    }

    /// <summary>Newcomers past their deadline, in order of arrival, removed: each is to be turned away.</summary>
    public IReadOnlyList<(ClientWired Arrival, bool Submitted)> Expired(DateTimeOffset now)
    {
        var expired = _order.Where(n => n.Deadline <= now).ToList();
        foreach (var newcomer in expired)
        {
            Remove(newcomer.Arrival.Id.Value);
        }

        return [.. expired.Select(n => (n.Arrival, n.Submitted))];
    }

    /// <summary>Every newcomer, in order of arrival, removed: the node stops, and each is to be turned away.</summary>
    public IReadOnlyList<(ClientWired Arrival, bool Submitted)> Clear()
    {
        var all = _order.Select(n => (n.Arrival, n.Submitted)).ToList();
        _newcomers.Clear();
        _order.Clear();
        return all;
    }

    private void Remove(long id)
    {
        if (_newcomers.Remove(id, out var node))
        {
            _order.Remove(node);
        }
    }

    private sealed class Newcomer(ClientWired arrival, DateTimeOffset deadline)
    {
        public ClientWired Arrival { get; } = arrival;

        public DateTimeOffset Deadline { get; } = deadline;

        public bool Submitted { get; set; }

        public List<ChatEvent> Held { get; } = [];
    }
}
