using System.Net;
using Microsoft.Extensions.Logging;
using RxChat.Core;

namespace RxChat.Hosting;

/// <summary>The server's log messages, with stable event ids (2xx). Chat text only with <see cref="ChatServerOptions.LogMessages"/>.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Critical, Message = "The chat stopped on an unexpected error")]
    public static partial void ChatFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Listening on {EndPoint} with {Options}")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint, ChatServerOptions options);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "Connection {ConnectionId} opened from {RemoteAddress}")]
    public static partial void Opened(ILogger logger, ConnectionId connectionId, string remoteAddress);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Client {Name} arrived on connection {ConnectionId}")]
    public static partial void Entered(ILogger logger, ConnectionId connectionId, string name);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Client {OldName} renamed to {NewName} on connection {ConnectionId}")]
    public static partial void Renamed(ILogger logger, ConnectionId connectionId, string oldName, string newName);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Connection {ConnectionId} ({Name}) left: {Reason}")]
    public static partial void Closed(ILogger logger, ConnectionId connectionId, string name, DisconnectReason reason);

    [LoggerMessage(EventId = 207, Level = LogLevel.Information, Message = "Node {Node} joined the room")]
    public static partial void NodeJoined(ILogger logger, long node);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Node {Node} left the room: {How}")]
    public static partial void NodeGone(ILogger logger, long node, string how);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning, Message = "The room was lost and starts anew")]
    public static partial void RoomRestarted(ILogger logger);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "{Kind} from {Name} on connection {ConnectionId} to {To}: {Text}")]
    public static partial void Message(ILogger logger, ConnectionId connectionId, string name, MessageKind kind, string? to, string text);
}
