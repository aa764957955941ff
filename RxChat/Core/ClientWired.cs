namespace RxChat.Core;

/// <summary>An arrival after the broadcaster has wired its writer to a fresh inbox.</summary>
internal sealed record ClientWired(ClientArrived Arrival, ClientInbox Inbox) : ChatEvent(Arrival.Id);
