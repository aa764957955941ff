using System.Globalization;
using System.Net;
using RxChat.Tests.Support;

namespace RxChat.Chaos;

/// <summary>
/// One room on real node processes sharing a real, persistent <c>redis-server</c> (<c>appendonly yes</c>,
/// <c>appendfsync always</c>), each node reaching Redis through a <see cref="TcpProxy"/> of its own so that its path
/// can be cut; and the faults done to them. Everything it starts (Redis, the nodes, the proxies) it stops by PID when
/// disposed, a stalled node included.
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

    private readonly Node[] _nodes;
    private readonly List<(int Node, int Incarnation, HostProcess Process)> _processes = [];
    private readonly List<string> _problems = [];

    private FaultyRoom(RedisServer redis, int nodes, TimeSpan nodeTimeout)
    {
        Redis = redis;
        NodeTimeout = nodeTimeout;
        _nodes = [.. Enumerable.Range(0, nodes).Select(i => new Node(i, TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, redis.Port), Address)))];
    }

    /// <summary>The room's name.</summary>
    public const string Room = "chaos";

    /// <summary>The room's Redis.</summary>
    public RedisServer Redis { get; }

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

    /// <summary>Starts Redis, a proxy for each node, and the nodes one after the other, each once it listens.</summary>
    public static async Task<FaultyRoom> StartAsync(int nodes, TimeSpan nodeTimeout, CancellationToken token)
    {
        var redis = await RedisServer.StartAsync(persistent: true);
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

    /// <summary>Does <paramref name="fault"/>, and undoes it after its duration: every fault has ended when this returns.</summary>
    public async Task InjectAsync(Fault fault, CancellationToken token)
    {
        var node = _nodes[fault.Node];
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

                break;
            case FaultKind.NodeStalled:
                var stalled = node.Current;
                await ForAsync(fault.Duration, () => stalled.Signal(SigStop), () => stalled.Signal(SigCont), token);
                break;
            case FaultKind.NodeCutOff:
                await ForAsync(fault.Duration, () => node.Path.Cut(fault.Mode), node.Path.Restore, token);
                break;
            case FaultKind.RedisKilled:
            case FaultKind.RedisWiped:
                await Redis.KillAsync();
                if (fault.Kind == FaultKind.RedisWiped)
                {
                    // Redis 7 keeps its append-only files in a directory of their own; without it, it starts empty.
                    Directory.Delete(Path.Combine(Redis.Directory, "appendonlydir"), recursive: true);
                }

                await Task.Delay(fault.Duration, token);
                await Redis.RestartAsync();
                break;
            case FaultKind.RedisFrozen:
                await ForAsync(fault.Duration, () => Redis.Signal(SigStop), () => Redis.Signal(SigCont), token);
                break;
            case FaultKind.RedisFlushed:
                await Redis.ExecuteAsync("FLUSHALL");
                break;
            case FaultKind.SubscriptionsKilled:
                await Redis.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(fault));
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
                "--host", Address.ToString(), "--port", "0", "--redis", $"{Address}:{node.Path.Port}", "--room", Room, "--rate-limit", "0", "--idle-timeout", "0",
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
