using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// The client set: the only state of the server, folded by <see cref="ChatRules.Apply"/>. Immutable.
/// </summary>
/// <param name="Options">The limits the fold enforces.</param>
/// <param name="Connections">Every open connection, named or not.</param>
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
    public static ChatState Empty(ChatServerOptions options) => new(
        options,
        ImmutableDictionary<ConnectionId, Client>.Empty,
        ImmutableDictionary.Create<string, ConnectionId>(ClientNames.Comparer),
        ImmutableSortedDictionary<long, ConnectionId>.Empty,
        1);

    /// <summary>Named clients' names in arrival order.</summary>
    public IEnumerable<string> RosterNames => Roster.Values.Select(id => Connections[id].Name!);
}
