namespace RxChat.Core;

/// <summary>An arrival after the broadcaster has wired its writer to a fresh inbox.</summary>
internal sealed record ClientWired(ConnectionId Id, string RemoteAddress, ClientInbox Inbox) : ChatEvent(Id);
