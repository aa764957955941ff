using Microsoft.Extensions.Logging;
using RxChat.Core;

namespace RxChat.Transport;

/// <summary>The transport's log messages, with stable event ids (1xx).</summary>
internal static partial class TransportLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Connection {ConnectionId} accepted from {RemoteAddress}")]
    public static partial void Accepted(ILogger logger, ConnectionId connectionId, string remoteAddress);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Connection {ConnectionId} reached end of stream")]
    public static partial void EndOfStream(ILogger logger, ConnectionId connectionId);

    [LoggerMessage(EventId = 102, Level = LogLevel.Debug, Message = "Connection {ConnectionId} read failed: {Error}")]
    public static partial void ReadFailed(ILogger logger, ConnectionId connectionId, string error);

    [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Connection {ConnectionId} write failed: {Error}")]
    public static partial void WriteFailed(ILogger logger, ConnectionId connectionId, string error);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Connection {ConnectionId} closed by the server: {Reason}")]
    public static partial void Stopped(ILogger logger, ConnectionId connectionId, DisconnectReason reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Connection {ConnectionId} failed unexpectedly")]
    public static partial void Unexpected(ILogger logger, ConnectionId connectionId, Exception exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Accepting a connection failed: {Error}")]
    public static partial void AcceptFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 107, Level = LogLevel.Debug, Message = "TLS handshake with {RemoteAddress} failed: {Error}")]
    public static partial void HandshakeFailed(ILogger logger, string remoteAddress, string error);

    [LoggerMessage(EventId = 110, Level = LogLevel.Warning, Message = "TLS handshake with {RemoteAddress} failed unexpectedly")]
    public static partial void HandshakeUnexpected(ILogger logger, string remoteAddress, Exception exception);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "TLS certificate loaded from {File}: {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    public static partial void CertificateLoaded(ILogger logger, string file, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "TLS certificate files changed but cannot be loaded: {Error}; new connections keep the certificate {Thumbprint}")]
    public static partial void CertificateReloadFailed(ILogger logger, string error, string thumbprint);
}
