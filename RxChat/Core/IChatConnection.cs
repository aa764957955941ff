namespace RxChat.Core;

/// <summary>
/// A connection as the core sees it, whatever carries it (a TCP socket, an in-memory pipe, a bot in process).
/// A transport supplies an observable of these to <see cref="Broadcaster.Run(IObservable{IChatConnection}, IObservable{System.Reactive.Unit})"/>.
/// </summary>
public interface IChatConnection
{
    /// <summary>The connection's id, unique for the server's life.</summary>
    ConnectionId Id { get; }

    /// <summary>The peer's address as Go writes it (<c>127.0.0.1:5000</c>, <c>[::1]:5000</c>).</summary>
    string RemoteAddress { get; }

    /// <summary>The door it came through; <see cref="Door.Line"/> unless a door says otherwise.</summary>
    Door Door => Door.Line;

    /// <summary>
    /// The lines the peer sends. Cold: subscribing starts reading, and it is subscribed once. It completes at a
    /// clean end of stream (after a final line without <c>\n</c>, if any) and fails on a reset or read error.
    /// </summary>
    IObservable<ReceivedLine> Lines { get; }

    /// <summary>
    /// Receives the lines the server sends the peer, in order, on the writer scheduler; must not block or throw.
    /// <c>OnCompleted</c>: write what is queued, then close the connection.
    /// </summary>
    IObserver<OutgoingLine> Writer { get; }
}
