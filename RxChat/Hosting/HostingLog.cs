using Microsoft.Extensions.Logging;

namespace RxChat.Hosting;

/// <summary>The server's log messages, with stable event ids (2xx).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Critical, Message = "The chat stopped on an unexpected error")]
    public static partial void ChatFailed(ILogger logger, Exception exception);
}
