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

    // With Sentinel, the Redis faults below hit the master of the moment; a restart is as that master if the sentinels
    // still name it, else as a replica of the one they name.

    /// <summary>Redis killed (SIGKILL) and started again with its data (append-only, every write on disk).</summary>
    RedisKilled,

    /// <summary>Redis killed and started again without its data (its append-only directory deleted): the room is lost.</summary>
    RedisWiped,

    /// <summary>Redis frozen (SIGSTOP), then let go on (SIGCONT): shorter or longer than the node timeout.</summary>
    RedisFrozen,

    /// <summary>Every key in Redis deleted (<c>FLUSHALL</c>), as an eviction would, while every connection stays up: the room is lost.</summary>
    RedisFlushed,

    /// <summary>Every subscription killed (<c>CLIENT KILL TYPE pubsub</c>), on every Redis server.</summary>
    SubscriptionsKilled,

    /// <summary>
    /// A failover asked of a sentinel (<c>SENTINEL FAILOVER</c>): it promotes a replica and makes the old master a
    /// replica of it (with Sentinel only).
    /// </summary>
    RedisFailover,

    /// <summary>
    /// The master killed (SIGKILL): the sentinels promote a replica, and the killed one is started again as a replica
    /// of the new master. Sometimes one replica, or every replica, was frozen (SIGSTOP) and cut off from the master for
    /// a while before (<see cref="Fault.Frozen"/>): the master acknowledged entries that replica lacks, so when every
    /// replica lags the promoted one has lost entries (with Sentinel only).
    /// </summary>
    RedisMasterKilled,
}
