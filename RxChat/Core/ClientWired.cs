namespace RxChat.Core;

/// <summary>
/// An arrival after the broadcaster has wired its writer to a fresh inbox; with <paramref name="Refused"/>, an arrival
/// this node turns away at once (the connection limit, shutdown, no room to join), which never reaches the room.
/// </summary>
internal sealed record ClientWired(ClientArrived Arrival, ClientInbox Inbox, DisconnectReason? Refused = null) : ChatEvent(Arrival.Id);
