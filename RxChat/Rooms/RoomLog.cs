using Microsoft.Extensions.Logging;

namespace RxChat.Rooms;

/// <summary>The room log's messages, with stable event ids (3xx).</summary>
internal static partial class RoomLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Room {Room} on Redis {Redis}: joined as node {Node}, caught up at entry {Seq}")]
    public static partial void Joined(ILogger logger, string room, string redis, long node, long seq);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "Redis {EndPoint} lost ({Kind}): {Error}")]
    public static partial void RedisLost(ILogger logger, string endPoint, string kind, string error);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Redis {EndPoint} restored")]
    public static partial void RedisRestored(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Room {Room} restarted: {Why}; every connection here was closed")]
    public static partial void Restarted(ILogger logger, string room, string why);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "The room counted this node (node {Node}) gone; rejoining")]
    public static partial void Fenced(ILogger logger, long node);

    [LoggerMessage(EventId = 305, Level = LogLevel.Warning, Message = "Appending to the room failed: {Error}; retrying")]
    public static partial void AppendFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 306, Level = LogLevel.Error, Message = "Room entry {Seq} from node {Node} is unreadable: {Error}")]
    public static partial void Unreadable(ILogger logger, long seq, long node, string error);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning, Message = "Joining room {Room} on Redis {Redis} failed: {Error}; retrying")]
    public static partial void JoinFailed(ILogger logger, string room, string redis, string error);

    [LoggerMessage(EventId = 308, Level = LogLevel.Debug, Message = "Room entries {From} to {To} missed; reading them from the log")]
    public static partial void Gap(ILogger logger, long from, long to);

    [LoggerMessage(EventId = 309, Level = LogLevel.Warning, Message = "Room {Room}: {Count} lines wait for Redis; discarding this node's next ones, each sender told to slow down")]
    public static partial void Backlogged(ILogger logger, string room, int count);
}
