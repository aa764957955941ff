using System.Globalization;
using NUnit.Framework;
using RxChat.Rooms;

namespace RxChat.Tests.Support;

/// <summary>
/// One room on several real node processes (the server as the README runs it) sharing a real <c>redis-server</c>:
/// PROTOCOL.md, Rooms across nodes. Nodes listen on ephemeral ports; the node timeout is short, so that the tests of
/// a node's loss run in seconds.
/// </summary>
internal sealed class Cluster : IAsyncDisposable
{
    private readonly List<HostProcess?> _nodes = [];
    private readonly RedisServer? _redis;

    private Cluster(RedisServer? redis, string configuration, string room, TimeSpan nodeTimeout)
    {
        _redis = redis;
        Configuration = configuration;
        Room = room;
        NodeTimeout = nodeTimeout;
    }

    public static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(20);

    /// <summary>The Redis the cluster started (not there for a cluster started on another Redis's configuration).</summary>
    public RedisServer Redis => _redis ?? throw new InvalidOperationException("this cluster runs on a Redis it did not start");

    /// <summary>What nodes take as <c>--redis</c>, unless a node is started with another.</summary>
    public string Configuration { get; }

    public string Room { get; }

    public TimeSpan NodeTimeout { get; }

    public HostProcess this[int node] => _nodes[node] ?? throw new InvalidOperationException($"node {node} is stopped");

    /// <summary>
    /// Starts Redis and <paramref name="nodes"/> nodes of one room, each caught up with the room; with
    /// <paramref name="redis"/>, the nodes use that configuration (a Redis the test started, e.g. through Sentinel) and no
    /// Redis is started.
    /// </summary>
    public static async Task<Cluster> StartAsync(
        int nodes = 3, bool persistent = false, TimeSpan? nodeTimeout = null, string room = "test", IReadOnlyList<string>? extra = null,
        string? redis = null)
    {
        var server = redis is null ? await RedisServer.StartAsync(persistent) : null;
        var cluster = new Cluster(server, redis ?? server!.Configuration, room, nodeTimeout ?? TimeSpan.FromSeconds(1));
        try
        {
            await Task.WhenAll(Enumerable.Range(0, nodes).Select(_ => cluster.AddNodeAsync(extra: extra)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>
    /// Starts one more node of the room (or of <paramref name="room"/>, on <paramref name="redis"/>: another
    /// configuration, e.g. another database) and waits until it has joined.
    /// </summary>
    public async Task<int> AddNodeAsync(string? room = null, IReadOnlyList<string>? extra = null, string? redis = null)
    {
        var node = await HostProcess.StartAsync([
            "--port", "0", "--redis", redis ?? Configuration, "--room", room ?? Room, "--rate-limit", "0", "--idle-timeout", "0",
            "--node-timeout", $"{NodeTimeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)}ms", "--shutdown-timeout", "2s",
            .. extra ?? []]);
        try
        {
            await node.WaitForEventAsync(RoomLog.JoinedEvent, JoinTimeout);
        }
        catch
        {
            // Never left behind: a node that did not join is stopped with the failure.
            await node.DisposeAsync();
            throw;
        }

        lock (_nodes)
        {
            _nodes.Add(node);
            return _nodes.Count - 1;
        }
    }

    /// <summary>Connects to node <paramref name="node"/> and enters as <paramref name="name"/>.</summary>
    public Task<LineClient> EnterAsync(int node, string name) => LineClient.EnterAsync(this[node].EndPoint, name);

    /// <summary>
    /// Enters as <paramref name="name"/> on node <paramref name="node"/> once it serves the room again (after a loss or a
    /// loss of contact): until then a newcomer is told the room is unavailable, and this tries again at its next join.
    /// </summary>
    public async Task<LineClient> EnterWhenReadyAsync(int node, string name)
    {
        using var deadline = new CancellationTokenSource(JoinTimeout);
        while (!deadline.IsCancellationRequested)
        {
            var joined = this[node].EventCount(RoomLog.JoinedEvent);
            var client = await LineClient.ConnectAsync(this[node].EndPoint);
            var first = await client.ReadLineAsync();
            if (first == "What is your name?")
            {
                await client.SendAsync(name);
                await client.ExpectAsync($"You are {name}");
                await client.ReadLineAsync();
                return client;
            }

            await client.DisposeAsync();
            try
            {
                await this[node].WaitForEventAsync(RoomLog.JoinedEvent, JoinTimeout, joined + 1).WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                break;
            }
        }

        throw new TimeoutException($"node {node} did not let a newcomer in within {JoinTimeout}, though it joined the room again meanwhile");
    }

    /// <summary>Forgets a node that the test stopped or killed (it is disposed with the cluster).</summary>
    public HostProcess Detach(int node)
    {
        var process = this[node];
        _nodes[node] = null;
        _detached.Add(process);
        return process;
    }

    private readonly List<HostProcess> _detached = [];

    public async ValueTask DisposeAsync()
    {
        // Each node's log goes with the test's output, which the test runner shows when the test fails.
        foreach (var (node, index) in _nodes.Concat(_detached).Select((n, i) => (n, i)).Where(n => n.n is not null))
        {
            await TestContext.Out.WriteLineAsync($"--- node {index} ---");
            foreach (var line in node!.Output.Concat(node.Errors).TakeLast(200))
            {
                await TestContext.Out.WriteLineAsync(line);
            }
        }

        foreach (var node in _nodes.Where(n => n is not null).Concat(_detached))
        {
            try
            {
                node!.Signal(18); // a node left stopped (SIGSTOP) must be able to die
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            await node!.DisposeAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }
}
