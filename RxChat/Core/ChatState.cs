using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The room's state as this node folds it with <see cref="ChatRules.Apply"/> from the room's entries: the client set,
/// the nodes' liveness and the history. Immutable. Every node of a room folds the same entries into the same state,
/// but for which connections are its own (the ones with an inbox). The node's own limits are not here but in
/// <see cref="NodeState"/>, before the log.
/// </summary>
/// <param name="Settings">The room's settings: the node timeout and the history size.</param>
/// <param name="Connections">Every open connection of the room, named or not.</param>
/// <param name="Names">Named clients by name, under <see cref="ClientNames.Comparer"/> (IRC clients hold a name from registration).</param>
/// <param name="Roster">The clients in the room in arrival order, by <see cref="Client.Arrival"/>.</param>
/// <param name="NextArrival">The next arrival number.</param>
/// <param name="Stopping">This node is shutting down: nobody enters here, nothing more is folded.</param>
internal sealed record ChatState(
    RoomSettings Settings,
    ImmutableDictionary<ConnectionId, Client> Connections,
    ImmutableDictionary<string, ConnectionId> Names,
    ImmutableSortedDictionary<long, ConnectionId> Roster,
    long NextArrival,
    bool Stopping = false)
{
    /// <summary>The sequence number of the last room entry folded.</summary>
    public long Seq { get; init; }

    /// <summary>The room's clock and its nodes (PROTOCOL.md, Rooms across nodes).</summary>
    public NodeLiveness Liveness { get; init; } = NodeLiveness.Empty;

    /// <summary>The room's time: the latest room entry's time, never going back; null before the first.</summary>
    public DateTimeOffset? Time => Liveness.Time;

    /// <summary>
    /// The last chat lines the room broadcast, oldest first: at most <see cref="RoomSettings.HistoryKept"/> (lines past
    /// what <c>/history</c> can show could never be read).
    /// </summary>
    public ImmutableQueue<HistoryLine> History { get; init; } = [];

    /// <summary>The number of lines in <see cref="History"/>.</summary>
    public int HistoryCount { get; init; }

    public static ChatState Empty(RoomSettings settings) => new(
        settings,
        ImmutableDictionary<ConnectionId, Client>.Empty,
        ImmutableDictionary.Create<string, ConnectionId>(ClientNames.Comparer),
        ImmutableSortedDictionary<long, ConnectionId>.Empty,
        1);

    /// <summary>The names of the clients in the room, in arrival order.</summary>
    public IEnumerable<string> RosterNames => Roster.Values.Select(id => Connections[id].Name!);

    /// <summary>The clients in the room, in arrival order.</summary>
    public IEnumerable<Member> RosterMembers => Roster.Values.Select(id => Member.Of(Connections[id]));
}

/// <summary>
/// One line of the room's history: the broadcast's own encoded line (kept, not copied: a kept line costs no more
/// than the broadcast already did), and when it was broadcast (the room's UTC time). Equal when time and text are.
/// </summary>
internal readonly record struct HistoryLine(DateTimeOffset At, OutgoingLine Line)
{
    /// <summary>Creates a history line from its text (a snapshot's line).</summary>
    public HistoryLine(DateTimeOffset at, string text)
        : this(at, new OutgoingLine(text))
    {
    }

    /// <summary>The line as it was broadcast, without its <c>\n</c>.</summary>
    public string Text => Line.Text;

    public bool Equals(HistoryLine other) => At == other.At && Line.Utf8.Span.SequenceEqual(other.Line.Utf8.Span);

    public override int GetHashCode() => HashCode.Combine(At, Line.Utf8.Length);
}
