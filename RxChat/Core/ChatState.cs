using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The room's state as this node folds it with <see cref="ChatRules.Apply"/> from the room's entries: the client set,
/// the nodes' liveness and the history. Immutable. Every node of a room folds the same entries into the same state,
/// but for which connections are its own (the ones with an inbox). The node's own limits are not here but in
/// <see cref="NodeState"/>, before the log.
/// </summary>
/// <param name="Options">The limits the fold enforces.</param>
/// <param name="Connections">Every open connection of the room, named or not.</param>
/// <param name="Names">Named clients by name, under <see cref="ClientNames.Comparer"/>.</param>
/// <param name="Roster">Named clients in arrival order, by <see cref="Client.Arrival"/>.</param>
/// <param name="NextArrival">The next arrival number.</param>
/// <param name="Stopping">The server is shutting down: nobody enters, nothing is said.</param>
internal sealed record ChatState(
    ChatServerOptions Options,
    ImmutableDictionary<ConnectionId, Client> Connections,
    ImmutableDictionary<string, ConnectionId> Names,
    ImmutableSortedDictionary<long, ConnectionId> Roster,
    long NextArrival,
    bool Stopping = false)
{
    /// <summary>The sequence number of the last room entry folded.</summary>
    public long Seq { get; init; }

    /// <summary>The room's time: the latest room entry's time, never going back; null before the first.</summary>
    public DateTimeOffset? Time { get; init; }

    /// <summary>Each live node's last entry time, by node number (PROTOCOL.md, Rooms across nodes).</summary>
    public ImmutableSortedDictionary<long, DateTimeOffset> Nodes { get; init; } = ImmutableSortedDictionary<long, DateTimeOffset>.Empty;

    /// <summary>Nodes counted gone or stopped: their later entries are ignored.</summary>
    public ImmutableHashSet<long> Fenced { get; init; } = [];

    /// <summary>
    /// The last chat lines the room broadcast, oldest first: at most <see cref="ChatServerOptions.HistorySize"/>, and
    /// at most <see cref="HistoryShown"/>, the most <c>/history</c> can show (lines past it could never be read).
    /// </summary>
    public ImmutableQueue<HistoryLine> History { get; init; } = [];

    /// <summary>The number of lines in <see cref="History"/>.</summary>
    public int HistoryCount { get; init; }

    /// <summary>The most lines one <c>/history N</c> shows: N is 1 to 100 (PROTOCOL.md, Commands).</summary>
    public const int HistoryShown = 100;

    /// <summary>
    /// The lines the room keeps: <c>--history-size</c>, up to <see cref="HistoryShown"/>. A /history answer is the same
    /// as if it kept all <c>--history-size</c> lines (K is at most N and N at most 100), while a flood's kept lines,
    /// each outliving several young-generation collections, stay 100 and not the default 1,000 (docs/benchmarks.md
    /// has the flood's memory for each choice).
    /// </summary>
    public int HistoryKept => Math.Clamp(Options.HistorySize, 0, HistoryShown);

    public static ChatState Empty(ChatServerOptions options) => new(
        options,
        ImmutableDictionary<ConnectionId, Client>.Empty,
        ImmutableDictionary.Create<string, ConnectionId>(ClientNames.Comparer),
        ImmutableSortedDictionary<long, ConnectionId>.Empty,
        1);

    /// <summary>Named clients' names in arrival order.</summary>
    public IEnumerable<string> RosterNames => Roster.Values.Select(id => Connections[id].Name!);
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
