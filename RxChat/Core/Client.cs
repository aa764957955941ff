namespace RxChat.Core;

/// <summary>One connection in the client set, on this node or another of the room; a client once it has a name.</summary>
/// <param name="Id">The connection, with its node.</param>
/// <param name="RemoteAddress">Its address as Go writes it; the name given for an empty answer.</param>
/// <param name="Inbox">Where its lines go, for a connection on this node; null for one on another node.</param>
/// <param name="Name">Its name once it has entered; null before.</param>
/// <param name="Arrival">Its place in the arrival order (the <c>Current clients</c> list) once named.</param>
internal sealed record Client(ConnectionId Id, string RemoteAddress, ClientInbox? Inbox, string? Name = null, long Arrival = 0)
{
    public bool IsNamed => Name is not null;

    /// <summary>The connection is on this node: its lines are written here, and its events are this node's to report.</summary>
    public bool IsLocal => Inbox is not null;
}
