using System.Net;
using Microsoft.Extensions.Logging;

namespace RxChat.Web;

/// <summary>The web door's log messages, with stable event ids (4xx); a WebSocket's own events are the transport's (1xx).</summary>
internal static partial class WebLog
{
    /// <summary>The event id of <see cref="Listening"/>.</summary>
    public const int ListeningEvent = 400;

    /// <summary>The event id of <see cref="OriginRefused"/>.</summary>
    public const int OriginRefusedEvent = 401;

    [LoggerMessage(EventId = ListeningEvent, Level = LogLevel.Information, Message = "Web door listening on {EndPoint} ({Scheme}): the page at /, the WebSocket at /ws, /healthz, /metrics")]
    public static partial void Listening(ILogger logger, IPEndPoint endPoint, string scheme);

    [LoggerMessage(EventId = OriginRefusedEvent, Level = LogLevel.Information, Message = "WebSocket from {RemoteAddress} refused: its page's origin {Origin} is not allowed (--http-allowed-origins)")]
    public static partial void OriginRefused(ILogger logger, string remoteAddress, string origin);

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "The web door failed to stop cleanly")]
    public static partial void StopFailed(ILogger logger, Exception exception);
}
