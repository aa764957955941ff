using System.Net;
using System.Net.Sockets;

namespace RxChat.Transport;

/// <summary>A listener could not bind its address (the port is in use, say): which address, and the socket's error.</summary>
/// <param name="endPoint">The address and port that could not be bound.</param>
/// <param name="inner">The socket's error.</param>
internal sealed class BindException(IPEndPoint endPoint, SocketException inner) : SocketException(inner.ErrorCode)
{
    /// <summary>The address and port that could not be bound.</summary>
    public IPEndPoint EndPoint { get; } = endPoint;
}
