namespace RxChat.Core;

/// <summary>
/// Why a connection ended. One per connection: the first cause wins (a write that fails after the client has
/// already reset is still a <see cref="Reset"/>). PROTOCOL.md, Leaving, lists the causes.
/// </summary>
public enum DisconnectReason
{
    /// <summary>The client closed its side cleanly (end of stream).</summary>
    EndOfStream,

    /// <summary>The connection failed: reset by the peer, or a read or write error.</summary>
    Reset,

    /// <summary>The client sent <c>/quit</c>.</summary>
    Quit,

    /// <summary>The client sent no complete line for the idle timeout (PROTOCOL.md, Leaving).</summary>
    Idle,

    /// <summary>The client's outbox was full under the <c>disconnect</c> slow-client policy.</summary>
    SlowConsumer,

    /// <summary>The connection limit was reached when the client connected (PROTOCOL.md, Limits).</summary>
    ServerFull,

    /// <summary>The server is shutting down (PROTOCOL.md, Shutdown).</summary>
    Shutdown,

    /// <summary>
    /// No room could be reached when the client connected: it received <c>error: room unavailable</c>
    /// (PROTOCOL.md, Rooms across nodes).
    /// </summary>
    RoomUnavailable,

    /// <summary>
    /// This node lost contact with the room (it was counted gone, it could not reach the room for the node timeout, or
    /// the room lost entries): the client received
    /// <c>Disconnected: lost contact with the room</c> (PROTOCOL.md, Rooms across nodes).
    /// </summary>
    LostContact,
}
