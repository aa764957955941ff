namespace RxChat.Core;

/// <summary>
/// What happens to the chat, as small immutable records. A transport reports a connection's
/// <see cref="ClientArrived"/>, <see cref="LineReceived"/> and <see cref="ClientLeft"/>; the broadcaster wires an
/// arrival to its inbox (<c>ClientWired</c>), times a line for the send rate (<c>TimedLine</c>) and adds the stop
/// (<c>ServerStopping</c>). The node's own rules (<c>NodeRules</c>) turn a refused line into <c>LineRefused</c>; the
/// room's log adds the other nodes' arrivals (<c>ClientConnected</c>), the nodes' liveness (<c>NodeHeartbeat</c>,
/// <c>NodeStopped</c>, <c>NodeRetired</c>) and its own news (<c>RoomLoaded</c>, <c>RoomLost</c>, <c>ContactLost</c>).
/// The fold (<c>ChatRules.Apply</c>) takes them one at a time in the room's order; the node an event came from is the
/// room entry's, and events about no connection carry the default id.
/// </summary>
/// <param name="Id">The connection the event is about.</param>
public abstract record ChatEvent(ConnectionId Id);

/// <summary>
/// A connection arrived (it is not yet a named client). The core sends it the name prompt and from then on
/// every line meant for it through <paramref name="Writer"/>.
/// </summary>
/// <param name="Id">The new connection's id; unique for the server's life.</param>
/// <param name="RemoteAddress">
/// The peer's address as Go writes it (<c>127.0.0.1:5000</c>, <c>[::1]:5000</c>); the name of a client that
/// answers the prompt with an empty line (PROTOCOL.md, Entering).
/// </param>
/// <param name="Writer">
/// Receives the connection's outgoing lines, in the server's order, on the writer scheduler; it must not block
/// and must not throw. <c>OnCompleted</c> means the server is done with the connection: flush and close it.
/// </param>
/// <param name="Door">The door it came through (PROTOCOL.md, Doors).</param>
public sealed record ClientArrived(ConnectionId Id, string RemoteAddress, IObserver<OutgoingLine> Writer, Door Door = Door.Line) : ChatEvent(Id);

/// <summary>One complete line from a connection, framed and decoded but not yet sanitised.</summary>
/// <param name="Id">The sending connection.</param>
/// <param name="Line">The line.</param>
public sealed record LineReceived(ConnectionId Id, ReceivedLine Line) : ChatEvent(Id);

/// <summary>
/// A connection ended or must end. If it was a named client every other client receives <c>NAME has left</c>,
/// exactly once however many departures are reported for it (PROTOCOL.md, Leaving).
/// </summary>
/// <param name="Id">The connection.</param>
/// <param name="Reason">Why it ended; <see cref="DisconnectReason.Idle"/> first sends it <c>Disconnected: idle</c>.</param>
public sealed record ClientLeft(ConnectionId Id, DisconnectReason Reason) : ChatEvent(Id);

/// <summary>
/// The server is shutting down (PROTOCOL.md, Shutdown): every connection receives <c>Server shutting down</c>
/// after what is queued for it and is closed; later events change nothing. This node's own: it never leaves it.
/// </summary>
internal sealed record ServerStopping() : ChatEvent(default(ConnectionId));

/// <summary>A line with the scheduler time it was received at, for the send-rate limit (before the log).</summary>
internal sealed record TimedLine(LineReceived Line, DateTimeOffset At) : ChatEvent(Line.Id);

/// <summary>A connection on another node of the room arrived (its node has sent it the prompt).</summary>
/// <param name="Id">The connection, with its node.</param>
/// <param name="RemoteAddress">Its address as Go writes it; its name if it answers the prompt with an empty line.</param>
/// <param name="Door">The door it came through.</param>
internal sealed record ClientConnected(ConnectionId Id, string RemoteAddress, Door Door = Door.Line) : ChatEvent(Id);

/// <summary>
/// A line the node's own rules refused (the send rate, the line length): the sender gets the error line, and the
/// prompt while it is entering. This node's own.
/// </summary>
/// <param name="Id">The sender.</param>
/// <param name="Kind">What was wrong (<see cref="ErrorKind.SlowDown"/> or <see cref="ErrorKind.LineTooLong"/>).</param>
/// <param name="Error">The line starting with <c>error: </c>.</param>
internal sealed record LineRefused(ConnectionId Id, ErrorKind Kind, string Error) : ChatEvent(Id);

/// <summary>
/// A node of the room is alive: any entry from a node says so, and a quiet node appends these. The node is the
/// entry's (<see cref="RoomEntry.Node"/>).
/// </summary>
internal sealed record NodeHeartbeat() : ChatEvent(default(ConnectionId));

/// <summary>
/// A node stopped gracefully (PROTOCOL.md, Rooms across nodes): the rest of the room hears that each of its clients
/// left, once, in their order of arrival. The node is the entry's; it is its last entry (the log takes no more from it).
/// </summary>
internal sealed record NodeStopped() : ChatEvent(default(ConnectionId));

/// <summary>
/// The log takes no more entries from <paramref name="Node"/>: written by the log itself (node 0) when a node counted
/// gone is fenced out of it, or when a node that lost contact comes back under a new number. A node still live is
/// gone from here (its clients leave as for a silent node); a fenced one no longer needs fencing.
/// </summary>
/// <param name="Node">The node retired.</param>
internal sealed record NodeRetired(long Node) : ChatEvent(default(ConnectionId));

/// <summary>
/// This node lost the room: the log lost entries this node had (Redis restarted without them, a failover to a replica
/// that lagged), or the room was replaced. Every connection here receives <c>Disconnected: lost contact with the
/// room</c> and is closed; the room starts anew. This node's own.
/// </summary>
internal sealed record RoomLost() : ChatEvent(default(ConnectionId));

/// <summary>
/// This node has not reached the room for longer than the node timeout (PROTOCOL.md, Rooms across nodes): the room
/// has counted its clients gone, so each of its connections receives <c>Disconnected: lost contact with the room</c>
/// and is closed. This node's own; it joins the room afresh once it reaches it again.
/// </summary>
internal sealed record ContactLost() : ChatEvent(default(ConnectionId));

/// <summary>
/// The room as a node found it when it joined (the latest snapshot, or a new room), with the room's settings: the fold
/// starts from it. Every client in it is another node's. This node's own.
/// </summary>
internal sealed record RoomLoaded(ChatState Room) : ChatEvent(default(ConnectionId));
