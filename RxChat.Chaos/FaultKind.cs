namespace RxChat.Chaos;

/// <summary>What a fault of the run does.</summary>
internal enum FaultKind
{
    /// <summary>A node killed (SIGKILL), then started again after a pause.</summary>
    NodeKilled,

    /// <summary>A node stalled (SIGSTOP), then let go on (SIGCONT): shorter or longer than the node timeout.</summary>
    NodeStalled,

    /// <summary>A node's path to Redis cut at its proxy (silent or reset), then restored.</summary>
    NodeCutOff,

    /// <summary>Redis killed (SIGKILL) and started again with its data (append-only, every write on disk).</summary>
    RedisKilled,

    /// <summary>Redis killed and started again without its data (its append-only directory deleted): the room is lost.</summary>
    RedisWiped,

    /// <summary>Redis frozen (SIGSTOP), then let go on (SIGCONT): shorter or longer than the node timeout.</summary>
    RedisFrozen,

    /// <summary>Every key in Redis deleted (<c>FLUSHALL</c>), as an eviction would, while every connection stays up: the room is lost.</summary>
    RedisFlushed,

    /// <summary>Every subscription killed (<c>CLIENT KILL TYPE pubsub</c>).</summary>
    SubscriptionsKilled,
}
