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
}
