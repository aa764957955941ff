using System.Globalization;
using System.Net;
using RxChat.Tests.Support;

namespace RxChat.Chaos;

/// <summary>
/// One room on real node processes sharing a real, persistent Redis (<see cref="RoomRedis"/>: a master, replicas and
/// sentinels, or one <c>redis-server</c>), each node reaching Redis through a <see cref="TcpProxy"/> of its own so that
/// its path can be cut (under Sentinel an HTTP CONNECT tunnel, <c>tunnel=http:</c> in the node's configuration, which
/// carries its connections to the sentinels and to whichever server they name); and the faults done to them.
/// Everything it starts (Redis, the nodes, the proxies) it stops by PID when disposed, a stalled node included.
/// </summary>
internal sealed class FaultyRoom : IAsyncDisposable
{
    /// <summary>The server's log event: the room was lost (RoomLog.LostEvent, internal to the server).</summary>
    public const int LostEvent = 303;

    /// <summary>The server's log event: the room counted this node gone (RoomLog.FencedEvent).</summary>
    public const int FencedEvent = 304;

    /// <summary>The server's log event: no answer from Redis for the node timeout (RoomLog.ContactLostEvent).</summary>
    public const int ContactLostEvent = 311;

    private const int SigKill = 9, SigCont = 18, SigStop = 19;

    // Where the nodes and the proxies listen: a loopback address of their own, out of reach of other programs that
    // connect to 127.0.0.1 (on a machine running other room tests, a node of theirs that lost its Redis keeps
    // connecting to that Redis's old port, which the system may give to one of ours).
    private static readonly IPAddress Address = IPAddress.Parse("127.0.0.2");

    // How long a node may take to start and join the room (it prints "listening on" only then).
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    // How long the nodes are given after Redis has settled under Sentinel, before the next fault.
    private static readonly TimeSpan Settling = TimeSpan.FromSeconds(1);

    private readonly Node[] _nodes;
    private readonly List<(int Node, int Incarnation, HostProcess Process)> _processes = [];
    private readonly List<string> _problems = [];

    private FaultyRoom(RoomRedis redis, int nodes, TimeSpan nodeTimeout)
    {
        Redis = redis;
        NodeTimeout = nodeTimeout;
        _nodes = [.. Enumerable.Range(0, nodes).Select(i => new Node(i, redis.Backend is { } backend ? TcpProxy.Start(backend, Address) : TcpProxy.StartTunnel(Address)))];
    }

    /// <summary>The room's name.</summary>
    public const string Room = "chaos";

    /// <summary>The room's Redis.</summary>
    public RoomRedis Redis { get; }

    /// <summary>The node timeout every node is started with.</summary>
    public TimeSpan NodeTimeout { get; }

    /// <summary>How many nodes serve the room.</summary>
    public int Nodes => _nodes.Length;

    /// <summary>Every node process started, in order: which node, which start of it.</summary>
    public IReadOnlyList<(int Node, int Incarnation, HostProcess Process)> Processes
    {
        get
        {
            lock (_processes)
            {
                return [.. _processes];
            }
        }
    }

    /// <summary>What went wrong that is no fault's doing: a node that did not come back, say.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_problems)
            {
                return [.. _problems];
            }
        }
    }

    /// <summary>Starts Redis (under Sentinel with <paramref name="sentinel"/>), a proxy for each node, and the nodes one after the other, each once it listens.</summary>
    public static async Task<FaultyRoom> StartAsync(int nodes, TimeSpan nodeTimeout, bool sentinel, CancellationToken token)
    {
        var redis = await RoomRedis.StartAsync(sentinel);
        FaultyRoom? room = null;
        try
        {
            room = new FaultyRoom(redis, nodes, nodeTimeout);
            foreach (var node in room._nodes)
            {
                if (!await room.StartNodeAsync(node, token))
                {
                    throw new InvalidOperationException($"node {node.Index} did not join the room within {StartTimeout.TotalSeconds} s");
                }
            }

            return room;
        }
        catch
        {
            if (room is null)
            {
                await redis.DisposeAsync();
            }
            else
            {
                await room.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>
    /// The node's process that runs now and where it listens, once it does: while it is down or joining, this waits.
    /// </summary>
    public async Task<(HostProcess Process, int Incarnation, IPEndPoint EndPoint)> ReachAsync(int node, CancellationToken token)
    {
        var slot = _nodes[node];
        while (true)
        {
            var (process, incarnation) = await slot.Running.WaitAsync(token);
            try
            {
                return (process, incarnation, await process.ListeningAsync(TimeSpan.FromSeconds(1)).WaitAsync(token));
            }
            catch (TimeoutException)
            {
                // Not listening yet (it joins), or killed meanwhile: look again.
            }
        }
    }

    /// <summary>
    /// Does <paramref name="fault"/>, and undoes it after its duration: every fault has ended when this returns, and
    /// under Sentinel the servers have settled (one master, the others its replicas). Returns what it found on the way
    /// (which server a failover promoted, how far behind it was), or null.
    /// </summary>
    public async Task<string?> InjectAsync(Fault fault, CancellationToken token)
    {
        var node = _nodes[fault.Node];
        string? found = null;
        switch (fault.Kind)
        {
            case FaultKind.NodeKilled:
                var killed = node.Down();
                killed.Signal(SigKill);
                await killed.WaitForExitAsync(TimeSpan.FromSeconds(10));
                await Task.Delay(fault.Duration, token);
                if (!await StartNodeAsync(node, token))
                {
                    Problem($"fault #{fault.Number}: node {node.Index} did not join the room within {StartTimeout.TotalSeconds} s of its restart");
                }

                return null;
            case FaultKind.NodeStalled:
                var stalled = node.Current;
                await ForAsync(fault.Duration, () => stalled.Signal(SigStop), () => stalled.Signal(SigCont), token);
                return null;
            case FaultKind.NodeCutOff:
                await ForAsync(fault.Duration, () => node.Path.Cut(fault.Mode), node.Path.Restore, token);
                return null;
            case FaultKind.RedisKilled:
            case FaultKind.RedisWiped:
                var master = await Redis.MasterAsync();
                await master.KillAsync();
                if (fault.Kind == FaultKind.RedisWiped)
                {
                    // Redis 7 keeps its append-only files in a directory of their own; without it, it starts empty (a
                    // replica's dump.rdb, which it would not load with appendonly on, goes too).
                    Delete(Path.Combine(master.Directory, "appendonlydir"));
                    Delete(Path.Combine(master.Directory, "dump.rdb"));
                }

                await Task.Delay(fault.Duration, token);
                found = await Redis.RestartAsync(master);
                break;
            case FaultKind.RedisFrozen:
                var frozen = await Redis.MasterAsync();
                await ForAsync(fault.Duration, () => frozen.Signal(SigStop), () => frozen.Signal(SigCont), token);
                break;
            case FaultKind.RedisFlushed:
                await (await Redis.MasterAsync()).ExecuteAsync("FLUSHALL");
                break;
            case FaultKind.SubscriptionsKilled:
                // Wherever the nodes subscribed: every server.
                foreach (var server in Redis.Servers)
                {
                    await server.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
                }

                break;
            case FaultKind.RedisFailover:
                var (promoted, asked) = await Redis.FailoverAsync(await Redis.MasterAsync(), token);
                found = $"port {promoted.Port} promoted" + (asked > 1 ? $" (asked {asked} times: the sentinels abandoned or refused the failovers before)" : "");
                break;
            case FaultKind.RedisMasterKilled:
                found = await KillMasterAsync(fault, token);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault));
        }

        // Under Sentinel the next fault must find one master and its replicas: a failover the fault caused (a master
        // down or frozen past a second) is let run to its end, the old master following the new one. The nodes still
        // writing to the old master notice what it lost as it turns replica: a moment for that, so that the run
        // counts their events for this fault rather than the next.
        if (Redis.Sentinel)
        {
            var settled = await Redis.SettleAsync().WaitAsync(token);
            found = (found is null ? "" : found + "; ") + $"master now port {settled}";
            await Task.Delay(Settling, token);
        }

        return found;
    }

    // The master killed, after some replicas were frozen and cut off from it while the room went on (it acknowledged
    // entries they lack); the sentinels promote a replica, and the killed master is started again as its replica.
    private async Task<string> KillMasterAsync(Fault fault, CancellationToken token)
    {
        var master = await Redis.MasterAsync();
        var replicas = Redis.ReplicasOf(master).OrderBy(r => r.Port).ToList();
        List<RedisServer> frozen = fault.Frozen switch
        {
            0 => [],
            1 => [replicas[fault.Node % replicas.Count]],
            _ => replicas,
        };
        string acknowledged;
        try
        {
            foreach (var replica in frozen)
            {
                replica.Signal(SigStop);
            }

            if (frozen.Count > 0)
            {
                // A frozen replica would read what is queued on its link once let go: the links are closed (a replica
                // not frozen connects again at once and catches up).
                await master.ExecuteAsync("CLIENT", "KILL", "TYPE", "replica");
                await Task.Delay(fault.Duration, token);
            }

            acknowledged = await RoomRedis.NewestAsync(master, Room);
            await master.KillAsync();
        }
        finally
        {
            foreach (var replica in frozen)
            {
                replica.Signal(SigCont);
            }
        }

        // What each replica holds before one is promoted (the master is gone: nothing more reaches them).
        var held = new List<string>();
        foreach (var replica in replicas)
        {
            held.Add($"port {replica.Port}{(frozen.Contains(replica) ? " (frozen)" : "")} up to {await RoomRedis.NewestAsync(replica, Room)}");
        }

        var promoted = await Redis.WaitForNewMasterAsync(master).WaitAsync(token);
        var restarted = await Redis.RestartAsync(master);
        return $"the master had entries up to {acknowledged}; replicas held {string.Join(", ", held)}; port {promoted.Port} promoted; the killed one {restarted}";
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Writes every node's log (<c>nodeN-START.log</c>) and every Redis server's and sentinel's (<c>redis-PORT.log</c>, <c>sentinel-PORT.log</c>) to <paramref name="directory"/>.</summary>
    public void SaveLogs(string directory)
    {
        foreach (var (node, incarnation, process) in Processes)
        {
            File.WriteAllLines(Path.Combine(directory, $"node{node}-{incarnation}.log"), [.. process.Output, .. process.Errors]);
        }

        foreach (var server in Redis.Servers)
        {
            File.WriteAllText(Path.Combine(directory, $"redis-{server.Port}.log"), server.Log);
        }

        foreach (var sentinel in Redis.Sentinels)
        {
            File.WriteAllText(Path.Combine(directory, $"sentinel-{sentinel.Port}.log"), sentinel.Log);
        }
    }

    /// <summary>How many times the node processes logged <paramref name="eventId"/>, all of them.</summary>
    public int EventCount(int eventId) => Processes.Sum(p => p.Process.EventCount(eventId));

    public async ValueTask DisposeAsync()
    {
        // A fault never leaves Redis frozen (its own finally lets it go on), and SIGKILL ends a stopped node.
        foreach (var (_, _, process) in Processes)
        {
            try
            {
                process.Signal(SigCont); // a node left stalled must be able to die
            }
            catch (InvalidOperationException)
            {
                // Gone already.
            }

            await process.DisposeAsync();
        }

        foreach (var node in _nodes)
        {
            await node.Path.DisposeAsync();
        }

        await Redis.DisposeAsync();
    }

    // Does something for a while, then undoes it, whatever happens meanwhile (the run stopped included).
    private static async Task ForAsync(TimeSpan duration, Action start, Action end, CancellationToken token)
    {
        start();
        try
        {
            await Task.Delay(duration, token);
        }
        finally
        {
            end();
        }
    }

    // Starts the node's process (again), through its proxy; true once it listens (it has joined the room).
    private async Task<bool> StartNodeAsync(Node node, CancellationToken token)
    {
        var process = await HostProcess.StartAsync(
            [
                "--host", Address.ToString(), "--port", "0", "--redis", Redis.Configuration(node.Path.EndPoint), "--room", Room, "--rate-limit", "0", "--idle-timeout", "0",
                "--node-timeout", $"{NodeTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms", "--shutdown-timeout", "2s",
            ],
            waitForListening: false);
        int incarnation;
        lock (_processes)
        {
            incarnation = _processes.Count(p => p.Node == node.Index) + 1;
            _processes.Add((node.Index, incarnation, process));
        }

        node.Up(process, incarnation);
        try
        {
            await process.ListeningAsync(StartTimeout).WaitAsync(token);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Problem(string text)
    {
        lock (_problems)
        {
            _problems.Add(text);
        }
    }

    // A node: its path to Redis, and its process while it runs.
    private sealed class Node(int index, TcpProxy path)
    {
        private readonly Lock _lock = new();

        // Completed with the process that runs now; a new one while the node is down.
        private TaskCompletionSource<(HostProcess Process, int Incarnation)> _running = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Index { get; } = index;

        public TcpProxy Path { get; } = path;

        public Task<(HostProcess Process, int Incarnation)> Running
        {
            get
            {
                lock (_lock)
                {
                    return _running.Task;
                }
            }
        }

        public HostProcess Current => Running is { IsCompleted: true } running ? running.Result.Process : throw new InvalidOperationException($"node {Index} is down");

        public void Up(HostProcess process, int incarnation)
        {
            lock (_lock)
            {
                _running.TrySetResult((process, incarnation));
            }
        }

        // Marks the node down; returns the process that ran.
        public HostProcess Down()
        {
            lock (_lock)
            {
                var process = _running.Task.IsCompleted ? _running.Task.Result.Process : throw new InvalidOperationException($"node {Index} is down");
                _running = new TaskCompletionSource<(HostProcess Process, int Incarnation)>(TaskCreationOptions.RunContinuationsAsynchronously);
                return process;
            }
        }
    }
}
