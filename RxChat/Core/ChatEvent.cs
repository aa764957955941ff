namespace RxChat.Core;

/// <summary>
/// What happens to the chat, as the broadcaster folds it: the merge of arrivals, lines and departures.
/// Small immutable records; see <see cref="ClientArrived"/>, <see cref="LineReceived"/> and <see cref="ClientLeft"/>.
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
public sealed record ClientArrived(ConnectionId Id, string RemoteAddress, IObserver<OutgoingLine> Writer) : ChatEvent(Id);

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
/// after what is queued for it and is closed; later events change nothing.
/// </summary>
internal sealed record ServerStopping() : ChatEvent(new ConnectionId(0));

/// <summary>A line with the scheduler time it was received at, for the send-rate limit.</summary>
internal sealed record TimedLine(LineReceived Line, DateTimeOffset At) : ChatEvent(Line.Id);
