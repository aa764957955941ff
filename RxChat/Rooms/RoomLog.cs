using Microsoft.Extensions.Logging;

namespace RxChat.Rooms;

/// <summary>The room log's messages, with stable event ids (3xx). No secret goes in one: stores name their endpoints only.</summary>
internal static partial class RoomLog
{
    /// <summary>The event id of <see cref="Joined"/>.</summary>
    public const int JoinedEvent = 300;

    /// <summary>The event id of <see cref="RedisLost"/>.</summary>
    public const int RedisLostEvent = 301;

    /// <summary>The event id of <see cref="RedisRestored"/>.</summary>
    public const int RedisRestoredEvent = 302;

    /// <summary>The event id of <see cref="Lost"/>.</summary>
    public const int LostEvent = 303;

    /// <summary>The event id of <see cref="Fenced"/>.</summary>
    public const int FencedEvent = 304;

    /// <summary>The event id of <see cref="AppendFailed"/>.</summary>
    public const int AppendFailedEvent = 305;

    /// <summary>The event id of <see cref="Unreadable"/>.</summary>
    public const int UnreadableEvent = 306;

    /// <summary>The event id of <see cref="JoinFailed"/>.</summary>
    public const int JoinFailedEvent = 307;

    /// <summary>The event id of <see cref="Backlogged"/>.</summary>
    public const int BackloggedEvent = 309;

    /// <summary>The event id of <see cref="SettingsDiffer"/>.</summary>
    public const int SettingsDifferEvent = 310;

    /// <summary>The event id of <see cref="ContactLost"/>.</summary>
    public const int ContactLostEvent = 311;

    /// <summary>The event id of <see cref="Discarded"/>.</summary>
    public const int DiscardedEvent = 312;

    /// <summary>The event id of <see cref="JoinTrimmed"/>.</summary>
    public const int JoinTrimmedEvent = 313;

    /// <summary>The event id of <see cref="Failed"/>.</summary>
    public const int FailedEvent = 314;

    /// <summary>The event id of <see cref="Connecting"/>.</summary>
    public const int ConnectingEvent = 315;

    /// <summary>The event id of <see cref="PrimaryChanged"/>.</summary>
    public const int PrimaryChangedEvent = 316;

    /// <summary>The event id of <see cref="Unsafe"/>.</summary>
    public const int UnsafeEvent = 317;

    [LoggerMessage(EventId = JoinedEvent, Level = LogLevel.Information, Message = "Room {Room}: joined as node {Node}, caught up at entry {Seq}")]
    public static partial void Joined(ILogger logger, string room, long node, long seq);

    [LoggerMessage(EventId = RedisLostEvent, Level = LogLevel.Warning, Message = "Redis {EndPoint} lost ({Kind}): {Error}")]
    public static partial void RedisLost(ILogger logger, string endPoint, string kind, string error);

    [LoggerMessage(EventId = RedisRestoredEvent, Level = LogLevel.Information, Message = "Redis {EndPoint} restored")]
    public static partial void RedisRestored(ILogger logger, string endPoint);

    [LoggerMessage(EventId = LostEvent, Level = LogLevel.Warning, Message = "Room {Room} lost: {Why}; every connection here was closed, and this node joins the room anew")]
    public static partial void Lost(ILogger logger, string room, string why);

    [LoggerMessage(EventId = FencedEvent, Level = LogLevel.Warning, Message = "The room counted this node (node {Node}) gone; rejoining")]
    public static partial void Fenced(ILogger logger, long node);

    [LoggerMessage(EventId = AppendFailedEvent, Level = LogLevel.Warning, Message = "Appending to the room failed: {Error}; retrying")]
    public static partial void AppendFailed(ILogger logger, string error);

    [LoggerMessage(EventId = UnreadableEvent, Level = LogLevel.Error, Message = "Room entry {Seq} from node {Node} is unreadable, skipped: {Error}")]
    public static partial void Unreadable(ILogger logger, long seq, long node, string error);

    [LoggerMessage(EventId = JoinFailedEvent, Level = LogLevel.Warning, Message = "Joining room {Room} failed: {Error}; retrying")]
    public static partial void JoinFailed(ILogger logger, string room, string error);

    [LoggerMessage(EventId = BackloggedEvent, Level = LogLevel.Warning, Message = "Room {Room}: {Count} events wait for Redis; refusing this node's next lines, each sender told to slow down")]
    public static partial void Backlogged(ILogger logger, string room, int count);

    [LoggerMessage(EventId = SettingsDifferEvent, Level = LogLevel.Warning, Message = "Room {Room} has node timeout {RoomTimeout} and history size {RoomHistory}, set by the node that created it; this node was started with {NodeTimeout} and {NodeHistory} and follows the room's")]
    public static partial void SettingsDiffer(ILogger logger, string room, TimeSpan roomTimeout, int roomHistory, TimeSpan nodeTimeout, int nodeHistory);

    [LoggerMessage(EventId = ContactLostEvent, Level = LogLevel.Warning, Message = "Room {Room}: no answer from Redis for {Timeout}, the node timeout; every connection here was closed, and this node joins the room afresh once Redis answers")]
    public static partial void ContactLost(ILogger logger, string room, TimeSpan timeout);

    [LoggerMessage(EventId = DiscardedEvent, Level = LogLevel.Warning, Message = "Room {Room}: removed {Count} entries from its log that the room never wrote")]
    public static partial void Discarded(ILogger logger, string room, int count);

    [LoggerMessage(EventId = JoinTrimmedEvent, Level = LogLevel.Warning, Message = "Room {Room}: the log no longer holds entry {Seq}, which this node needs after the snapshot it joined from; joining again")]
    public static partial void JoinTrimmed(ILogger logger, string room, long seq);

    [LoggerMessage(EventId = FailedEvent, Level = LogLevel.Error, Message = "The room's log failed; it goes on with what comes next")]
    public static partial void Failed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = ConnectingEvent, Level = LogLevel.Information, Message = "Room {Room} on Redis {Redis}")]
    public static partial void Connecting(ILogger logger, string room, string redis);

    [LoggerMessage(EventId = PrimaryChangedEvent, Level = LogLevel.Warning, Message = "Room {Room}: Redis's primary is now {Primary} (it was {Before}): a failover; following it")]
    public static partial void PrimaryChanged(ILogger logger, string room, string before, string primary);

    [LoggerMessage(EventId = UnsafeEvent, Level = LogLevel.Warning, Message = "Room {Room}: {What}")]
    public static partial void Unsafe(ILogger logger, string room, string what);
}
