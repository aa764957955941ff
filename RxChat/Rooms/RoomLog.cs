using Microsoft.Extensions.Logging;

namespace RxChat.Rooms;

/// <summary>The room log's messages, with stable event ids (3xx).</summary>
internal static partial class RoomLog
{
    /// <summary>The event id of <see cref="Joined"/>.</summary>
    public const int JoinedEvent = 300;

    /// <summary>The event id of <see cref="RedisLost"/>.</summary>
    public const int RedisLostEvent = 301;

    /// <summary>The event id of <see cref="RedisRestored"/>.</summary>
    public const int RedisRestoredEvent = 302;

    /// <summary>The event id of <see cref="Restarted"/>.</summary>
    public const int RestartedEvent = 303;

    /// <summary>The event id of <see cref="Fenced"/>.</summary>
    public const int FencedEvent = 304;

    /// <summary>The event id of <see cref="AppendFailed"/>.</summary>
    public const int AppendFailedEvent = 305;

    /// <summary>The event id of <see cref="Unreadable"/>.</summary>
    public const int UnreadableEvent = 306;

    /// <summary>The event id of <see cref="JoinFailed"/>.</summary>
    public const int JoinFailedEvent = 307;

    /// <summary>The event id of <see cref="Gap"/>.</summary>
    public const int GapEvent = 308;

    /// <summary>The event id of <see cref="Backlogged"/>.</summary>
    public const int BackloggedEvent = 309;

    [LoggerMessage(EventId = JoinedEvent, Level = LogLevel.Information, Message = "Room {Room} on Redis {Redis}: joined as node {Node}, caught up at entry {Seq}")]
    public static partial void Joined(ILogger logger, string room, string redis, long node, long seq);

    [LoggerMessage(EventId = RedisLostEvent, Level = LogLevel.Warning, Message = "Redis {EndPoint} lost ({Kind}): {Error}")]
    public static partial void RedisLost(ILogger logger, string endPoint, string kind, string error);

    [LoggerMessage(EventId = RedisRestoredEvent, Level = LogLevel.Information, Message = "Redis {EndPoint} restored")]
    public static partial void RedisRestored(ILogger logger, string endPoint);

    [LoggerMessage(EventId = RestartedEvent, Level = LogLevel.Warning, Message = "Room {Room} restarted: {Why}; every connection here was closed")]
    public static partial void Restarted(ILogger logger, string room, string why);

    [LoggerMessage(EventId = FencedEvent, Level = LogLevel.Warning, Message = "The room counted this node (node {Node}) gone; rejoining")]
    public static partial void Fenced(ILogger logger, long node);

    [LoggerMessage(EventId = AppendFailedEvent, Level = LogLevel.Warning, Message = "Appending to the room failed: {Error}; retrying")]
    public static partial void AppendFailed(ILogger logger, string error);

    [LoggerMessage(EventId = UnreadableEvent, Level = LogLevel.Error, Message = "Room entry {Seq} from node {Node} is unreadable: {Error}")]
    public static partial void Unreadable(ILogger logger, long seq, long node, string error);

    [LoggerMessage(EventId = JoinFailedEvent, Level = LogLevel.Warning, Message = "Joining room {Room} on Redis {Redis} failed: {Error}; retrying")]
    public static partial void JoinFailed(ILogger logger, string room, string redis, string error);

    [LoggerMessage(EventId = GapEvent, Level = LogLevel.Debug, Message = "Room entries {From} to {To} missed; reading them from the log")]
    public static partial void Gap(ILogger logger, long from, long to);

    [LoggerMessage(EventId = BackloggedEvent, Level = LogLevel.Warning, Message = "Room {Room}: {Count} lines wait for Redis; discarding this node's next ones, each sender told to slow down")]
    public static partial void Backlogged(ILogger logger, string room, int count);
}
