using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// What a line the fold sends means, for doors that render it in their own form (PROTOCOL.md, Doors): the line door
/// writes the line's text as it is; the IRC door renders these as IRC messages. A line without one (<c>/help</c>'s,
/// <c>/history</c>'s, a closing line, <c>(N messages dropped)</c>) is shown by its text. The fold decides each once, and each
/// door renders it once per line (a broadcast's rendering is shared by every client of that door).
/// </summary>
internal abstract record ChatMessage;

/// <summary>A client of the room as another client's door shows it: its name, its door, and where it is.</summary>
/// <param name="Id">Its connection.</param>
/// <param name="Name">Its name.</param>
/// <param name="Door">The door it came through.</param>
/// <param name="User">The user name it gave (IRC's <c>USER</c>); for the other doors the door's own word.</param>
/// <param name="Host">The address it connects from, without its port.</param>
/// <param name="InRoom">It is in the room (an IRC client may hold its name without having joined the channel).</param>
/// <param name="Away">Its away message; null while it is here.</param>
internal sealed record Member(ConnectionId Id, string Name, Door Door, string User, string Host, bool InRoom, string? Away = null)
{
    public static Member Of(Client client) => new(client.Id, client.Name ?? client.RemoteAddress, client.Door, client.User, client.Host, client.InRoom, client.Away);
}

/// <summary><c>What is your name?</c>: the line door's prompt; the IRC door registers instead.</summary>
internal sealed record PromptMessage : ChatMessage;

/// <summary><c>You are NAME</c>: the connection has its name (for an IRC client, it is registered).</summary>
/// <param name="Self">The client itself, as the room knows it (its id with its node).</param>
/// <param name="Clients">How many clients hold a name.</param>
internal sealed record WelcomeMessage(Member Self, int Clients) : ChatMessage;

/// <summary><c>Current clients: A, B, NAME</c> to a newcomer: it is in the room (IRC: its <c>JOIN</c>, <c>353</c>, <c>366</c>).</summary>
/// <param name="Self">The newcomer.</param>
/// <param name="Members">The room's clients in order of arrival, the newcomer last.</param>
internal sealed record EnteredMessage(Member Self, ImmutableArray<Member> Members) : ChatMessage;

/// <summary><c>NAME: TEXT</c>: a chat line to everyone; <paramref name="Notice"/> when its sender marked it one (IRC's <c>NOTICE</c>).</summary>
internal sealed record SaidMessage(Member From, string Text, bool Notice = false) : ChatMessage;

/// <summary><c>* NAME ACTION</c>: a <c>/me</c> to everyone.</summary>
internal sealed record ActedMessage(Member From, string Action) : ChatMessage;

/// <summary><c>NAME has arrived</c>: a client entered the room.</summary>
internal sealed record ArrivedMessage(Member Who) : ChatMessage;

/// <summary><c>NAME has left</c>: a client left the room.</summary>
/// <param name="Who">The client.</param>
/// <param name="Reason">Why its connection ended; null when it left the room and stays connected (IRC's <c>PART</c>).</param>
/// <param name="Words">What it said as it left (IRC's <c>QUIT :words</c>, <c>PART :words</c>), if anything.</param>
internal sealed record LeftMessage(Member Who, DisconnectReason? Reason, string? Words = null) : ChatMessage;

/// <summary><c>OLD is now known as NEW</c>.</summary>
internal sealed record RenamedMessage(Member Who, string NewName) : ChatMessage;

/// <summary><c>NAME (private): TEXT</c>: a <c>/msg</c> to its recipient.</summary>
/// <param name="From">The sender.</param>
/// <param name="To">The recipient's name.</param>
/// <param name="Text">The text.</param>
/// <param name="Notice">Its sender marked it a notice (IRC's <c>NOTICE</c>).</param>
internal sealed record PrivateMessage(Member From, string To, string Text, bool Notice = false) : ChatMessage;

/// <summary><c>-&gt; TO: TEXT</c>: a <c>/msg</c>'s echo to its sender; <paramref name="Away"/> is the recipient's away message, if any.</summary>
internal sealed record PrivateEchoMessage(string To, string Text, string? Away = null) : ChatMessage;

/// <summary>An <c>error: ...</c> line, with what went wrong, so that a door can say it in its own terms.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Subject">What it is about (the name asked for, the command), if anything.</param>
internal sealed record ErrorMessage(ErrorKind Kind, string? Subject = null) : ChatMessage;

/// <summary>The answer to a door's question about the room (IRC's <c>NAMES</c>, <c>WHO</c>, <c>WHOIS</c>, ...).</summary>
/// <param name="Query">The question, as the door asked it.</param>
/// <param name="Members">The clients it found, in order of arrival.</param>
/// <param name="Clients">How many clients the room has.</param>
internal sealed record AnswerMessage(DoorQuery Query, ImmutableArray<Member> Members, int Clients) : ChatMessage;

/// <summary>Lines a door asked to be sent back to its own connection, in its order (IRC's <c>PONG</c>, numerics).</summary>
internal sealed record EchoMessage(ImmutableArray<string> Lines) : ChatMessage;

/// <summary>What went wrong, for an <see cref="ErrorMessage"/>.</summary>
internal enum ErrorKind
{
    NameInvalid,
    NameTaken,
    SameName,
    UnknownCommand,
    Usage,
    NoSuchClient,
    LineTooLong,
    SlowDown,
    ServerFull,
    RoomUnavailable,

    /// <summary>A chat line or action from a client that is not in the room (IRC: <c>404</c>).</summary>
    NotInRoom,

    /// <summary>Leaving the room without being in it (IRC: <c>442</c>).</summary>
    NotOnChannel,

    /// <summary>Anything but registering before the connection has a name (IRC: <c>451</c>).</summary>
    NotRegistered,
}
