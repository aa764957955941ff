using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The client set: the only state of the server, folded by <see cref="ChatRules.Apply"/> from the room's entries.
/// Immutable. Every node of a room folds the same entries into the same state, but for which connections are its
/// own (the ones with an inbox).
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

    /// <summary>The last chat lines the room broadcast, oldest first, at most <see cref="ChatServerOptions.HistorySize"/>.</summary>
    public ImmutableQueue<HistoryLine> History { get; init; } = [];

    /// <summary>The number of lines in <see cref="History"/>.</summary>
    public int HistoryCount { get; init; }

    public static ChatState Empty(ChatServerOptions options) => new(
        options,
        ImmutableDictionary<ConnectionId, Client>.Empty,
        ImmutableDictionary.Create<string, ConnectionId>(ClientNames.Comparer),
        ImmutableSortedDictionary<long, ConnectionId>.Empty,
        1);

    /// <summary>Named clients' names in arrival order.</summary>
    public IEnumerable<string> RosterNames => Roster.Values.Select(id => Connections[id].Name!);
}

/// <summary>One line of the room's history: as it was broadcast, and when (the room's UTC time).</summary>
internal readonly record struct HistoryLine(DateTimeOffset At, string Text);
