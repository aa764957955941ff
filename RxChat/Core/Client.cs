namespace RxChat.Core;

/// <summary>One connection in the client set; a client once it has a name.</summary>
/// <param name="Id">The connection.</param>
/// <param name="RemoteAddress">Its address as Go writes it; the name given for an empty answer.</param>
/// <param name="Inbox">Where its lines go.</param>
/// <param name="Name">Its name once it has entered; null before.</param>
/// <param name="Arrival">Its place in the arrival order (the <c>Current clients</c> list) once named.</param>
/// <param name="Rate">Its send-rate token bucket.</param>
internal sealed record Client(ConnectionId Id, string RemoteAddress, ClientInbox Inbox, string? Name = null, long Arrival = 0, TokenBucket Rate = default)
{
    public bool IsNamed => Name is not null;
}
