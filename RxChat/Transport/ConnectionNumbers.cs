using RxChat.Core;

namespace RxChat.Transport;

/// <summary>
/// The numbers of one server's connections, from 1 in order of acceptance, shared by every listener of the server
/// (the line door, the line door over TLS, other doors) so that a <see cref="ConnectionId"/> names one connection
/// whichever door it came through. Thread-safe.
/// </summary>
internal sealed class ConnectionNumbers
{
    private long _last;

    /// <summary>The next connection's id.</summary>
    public ConnectionId Next() => new(Interlocked.Increment(ref _last));
}
