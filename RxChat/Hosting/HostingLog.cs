using System.Net;
using Microsoft.Extensions.Logging;
using RxChat.Core;

namespace RxChat.Hosting;

/// <summary>The server's log messages, with stable event ids (2xx). Chat text only with <see cref="ChatServerOptions.LogMessages"/>.</summary>
internal static partial class HostingLog
{
    /// <summary>The event id of <see cref="ChatFailed"/>.</summary>
    public const int ChatFailedEvent = 200;

    /// <summary>The event id of <see cref="Listening"/>.</summary>
    public const int ListeningEvent = 201;

    /// <summary>The event id of <see cref="Opened"/>.</summary>
    public const int OpenedEvent = 202;

    /// <summary>The event id of <see cref="Entered"/>.</summary>
    public const int EnteredEvent = 203;

    /// <summary>The event id of <see cref="Renamed"/>.</summary>
    public const int RenamedEvent = 204;

    /// <summary>The event id of <see cref="Closed"/>.</summary>
    public const int ClosedEvent = 205;

    /// <summary>The event id of <see cref="Message"/>.</summary>
    public const int MessageEvent = 206;

    /// <summary>The event id of <see cref="NodeJoined"/>.</summary>
    public const int NodeJoinedEvent = 207;

    /// <summary>The event id of <see cref="NodeGone"/>.</summary>
    public const int NodeGoneEvent = 208;

    /// <summary>The event id of <see cref="ListeningTls"/>.</summary>
    public const int ListeningTlsEvent = 209;

    /// <summary>The event id of <see cref="ListeningIrc"/>.</summary>
    public const int ListeningIrcEvent = 210;

    /// <summary>The event id of <see cref="ListeningIrcTls"/>.</summary>
    public const int ListeningIrcTlsEvent = 211;

    [LoggerMessage(EventId = ChatFailedEvent, Level = LogLevel.Critical, Message = "The chat stopped on an unexpected error")]
    public static partial void ChatFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = ListeningEvent, Level = LogLevel.Information, Message = "Listening on {EndPoint} with {Options}")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint, ChatServerOptions options);

    [LoggerMessage(EventId = ListeningTlsEvent, Level = LogLevel.Information, Message = "Listening over TLS on {EndPoint}")]
    public static partial void ListeningTls(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(EventId = ListeningIrcEvent, Level = LogLevel.Information, Message = "Listening for IRC clients on {EndPoint}")]
    public static partial void ListeningIrc(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(EventId = ListeningIrcTlsEvent, Level = LogLevel.Information, Message = "Listening for IRC clients over TLS on {EndPoint}")]
    public static partial void ListeningIrcTls(ILogger logger, IPEndPoint endPoint);

    [LoggerMessage(EventId = OpenedEvent, Level = LogLevel.Debug, Message = "Connection {ConnectionId} opened from {RemoteAddress}")]
    public static partial void Opened(ILogger logger, ConnectionId connectionId, string remoteAddress);

    [LoggerMessage(EventId = EnteredEvent, Level = LogLevel.Information, Message = "Client {Name} arrived on connection {ConnectionId}")]
    public static partial void Entered(ILogger logger, ConnectionId connectionId, string name);

    [LoggerMessage(EventId = RenamedEvent, Level = LogLevel.Information, Message = "Client {OldName} renamed to {NewName} on connection {ConnectionId}")]
    public static partial void Renamed(ILogger logger, ConnectionId connectionId, string oldName, string newName);

    [LoggerMessage(EventId = ClosedEvent, Level = LogLevel.Information, Message = "Connection {ConnectionId} ({Name}) left: {Reason}")]
    public static partial void Closed(ILogger logger, ConnectionId connectionId, string name, DisconnectReason reason);

    [LoggerMessage(EventId = NodeJoinedEvent, Level = LogLevel.Information, Message = "Node {Node} joined the room")]
    public static partial void NodeJoined(ILogger logger, long node);

    [LoggerMessage(EventId = NodeGoneEvent, Level = LogLevel.Warning, Message = "Node {Node} left the room: {How}")]
    public static partial void NodeGone(ILogger logger, long node, string how);

    [LoggerMessage(EventId = MessageEvent, Level = LogLevel.Information, Message = "{Kind} from {Name} on connection {ConnectionId} to {To}: {Text}")]
    public static partial void Message(ILogger logger, ConnectionId connectionId, string name, MessageKind kind, string? to, string text);
}
