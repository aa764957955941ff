namespace RxChat.Core;

/// <summary>
/// What the chat did, as an application observes it (<see cref="Broadcaster"/>'s output): connections opening and
/// closing, clients entering and renaming, messages. Each is emitted after the lines it caused were handed to the
/// writers, in the one order of the chat.
/// </summary>
/// <param name="Id">The connection the event is about.</param>
public abstract record ServerEvent(ConnectionId Id);

/// <summary>A connection arrived; it has been sent the name prompt (or refused, followed by <see cref="ConnectionClosed"/>).</summary>
/// <param name="Id">The connection.</param>
/// <param name="RemoteAddress">Its address as Go writes it.</param>
public sealed record ConnectionOpened(ConnectionId Id, string RemoteAddress) : ServerEvent(Id);

/// <summary>A connection gave a valid name and is now a client (PROTOCOL.md, Entering).</summary>
/// <param name="Id">The connection.</param>
/// <param name="Name">Its name.</param>
public sealed record ClientEntered(ConnectionId Id, string Name) : ServerEvent(Id);

/// <summary>A client changed its name with <c>/nick</c>.</summary>
/// <param name="Id">The connection.</param>
/// <param name="OldName">The name it had.</param>
/// <param name="NewName">The name it has now.</param>
public sealed record ClientRenamed(ConnectionId Id, string OldName, string NewName) : ServerEvent(Id);

/// <summary>A client said something that others received.</summary>
/// <param name="Id">The sender's connection.</param>
/// <param name="Name">The sender's name.</param>
/// <param name="Text">The text, sanitised, as sent.</param>
/// <param name="Kind">A chat line, a <c>/me</c> action or a <c>/msg</c> private message.</param>
/// <param name="To">The recipient's name for a private message; null otherwise.</param>
public sealed record MessageSent(ConnectionId Id, string Name, string Text, MessageKind Kind, string? To = null) : ServerEvent(Id);

/// <summary>A connection ended; for a client, the others were told <c>NAME has left</c>. Once per connection.</summary>
/// <param name="Id">The connection.</param>
/// <param name="Name">Its name, or null if it never entered.</param>
/// <param name="Reason">Why, the first cause (PROTOCOL.md, Leaving).</param>
public sealed record ConnectionClosed(ConnectionId Id, string? Name, DisconnectReason Reason) : ServerEvent(Id);

/// <summary>A node of the room sent its first entry (PROTOCOL.md, Rooms across nodes); this one included.</summary>
/// <param name="Node">The node's number in its room.</param>
public sealed record NodeJoined(long Node) : ServerEvent(new ConnectionId(0) { Node = Node });

/// <summary>
/// A node left the room: it stopped gracefully, or it was silent past the node timeout (a crash, a stall, no Redis).
/// Its clients were announced gone and its later entries are ignored; when it is this node, its connections were told
/// that it lost contact with the room.
/// </summary>
/// <param name="Node">The node's number in its room.</param>
/// <param name="Stopped">It stopped gracefully; otherwise it was counted gone.</param>
public sealed record NodeGone(long Node, bool Stopped) : ServerEvent(new ConnectionId(0) { Node = Node });

/// <summary>This node lost the room (Redis came back without it): every connection here was closed, and a new room begins.</summary>
public sealed record RoomRestarted() : ServerEvent(new ConnectionId(0));

/// <summary>The kind of a <see cref="MessageSent"/>.</summary>
public enum MessageKind
{
    /// <summary>A chat line to everyone: <c>NAME: TEXT</c>.</summary>
    Chat,

    /// <summary>A <c>/me</c> action to everyone: <c>* NAME ACTION</c>.</summary>
    Action,

    /// <summary>A <c>/msg</c> to one client: <c>NAME (private): TEXT</c>.</summary>
    Private,
}
