using System.Globalization;
using System.Net;
using RxChat.Tests.Support;
using StackExchange.Redis;

namespace RxChat.Chaos;

/// <summary>
/// The room's Redis, as users run it: by default a master, two replicas and three sentinels (quorum 2, a master down
/// after one second; the tests' <see cref="RedisReplicaSet"/>), every server persistent (<c>appendonly yes</c>,
/// <c>appendfsync always</c>); or one persistent <c>redis-server</c> (<c>--single-redis</c>). It knows which server is
/// the master now, restarts a killed one as the master or as a replica of the one the sentinels name, and waits for
/// the set to settle after a fault: every sentinel naming one master, every other server its replica, in sync.
/// </summary>
internal sealed class RoomRedis : IAsyncDisposable
{
    // How long a failover and the old master's turn to a replica may take before the run gives up (measured: a new
    // master within 1 to 2.5 s; loaded machines are slower).
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);

    private readonly RedisServer? _single;
    private readonly RedisReplicaSet? _set;

    private RoomRedis(RedisServer? single, RedisReplicaSet? set) => (_single, _set) = (single, set);

    /// <summary>Whether the room's Redis is under Sentinel (it can fail over).</summary>
    public bool Sentinel => _set is not null;

    /// <summary>The sentinels (none without Sentinel).</summary>
    public IReadOnlyList<RedisServer> Sentinels => _set?.Sentinels ?? [];

    /// <summary>Every data server (not the sentinels), in the order started.</summary>
    public IReadOnlyList<RedisServer> Servers => _set?.Servers ?? [_single!];

    /// <summary>Starts one redis-server, or (with <paramref name="sentinel"/>) a master, its replicas and three sentinels.</summary>
    public static async Task<RoomRedis> StartAsync(bool sentinel) => sentinel
        ? new RoomRedis(null, await RedisReplicaSet.StartAsync(replicas: 2, persistent: true))
        : new RoomRedis(await RedisServer.StartAsync(persistent: true), null);

    /// <summary>
    /// Where a node's proxy forwards: to the one server; null under Sentinel, where the proxy is an HTTP CONNECT tunnel
    /// that carries every connection of the node's (to the sentinels and to the servers they name).
    /// </summary>
    public EndPoint? Backend => _single is null ? null : new IPEndPoint(IPAddress.Loopback, _single.Port);

    /// <summary>What a node takes as <c>--redis</c>, reaching Redis through its proxy on <paramref name="proxy"/>.</summary>
    public string Configuration(IPEndPoint proxy) => _set is null
        ? proxy.ToString()
        : $"{_set.Configuration},tunnel=http:{proxy}";

    /// <summary>The processes, for the run's log.</summary>
    public string Describe() => _set is null
        ? $"Redis pid {_single!.Pid}"
        : $"Redis master pid {_set.Master.Pid} (port {_set.Master.Port}), replicas {string.Join(", ", _set.Replicas.Select(r => $"pid {r.Pid} (port {r.Port})"))}, sentinels pids {string.Join(", ", _set.Sentinels.Select(s => s.Pid))}";

    /// <summary>The master now: the one server, or the one the sentinels name (the set has settled between faults).</summary>
    public async Task<RedisServer> MasterAsync()
    {
        if (_set is null)
        {
            return _single!;
        }

        var port = await _set.MasterPortAsync() ?? throw new InvalidOperationException("no sentinel names a master");
        return Servers.Single(s => s.Port == port);
    }

    /// <summary>The other servers: the master's replicas once settled.</summary>
    public IReadOnlyList<RedisServer> ReplicasOf(RedisServer master) => [.. Servers.Where(s => s != master)];

    /// <summary>
    /// Starts <paramref name="server"/> again (killed): with Sentinel, as the master if the sentinels still name it (the
    /// outage was shorter than a failover), else as a replica of the master they name, as an operator would; returns
    /// which (null without Sentinel).
    /// </summary>
    public async Task<string?> RestartAsync(RedisServer server)
    {
        if (_set is null)
        {
            await server.RestartAsync();
            return null;
        }

        var named = await _set.MasterPortAsync();
        if (named is null || named == server.Port)
        {
            await server.RestartAsync("--replicaof", "no", "one");
            return $"restarted as the master (port {server.Port}), which the sentinels still named";
        }

        await server.RestartAsync("--replicaof", "127.0.0.1", named.Value.ToString(CultureInfo.InvariantCulture));
        return $"restarted as a replica of port {named}, which the sentinels named";
    }

    /// <summary>
    /// Asks the sentinels for a failover (<c>SENTINEL FAILOVER</c>) and waits for the new master; asks again while they
    /// refuse (one in progress, no good replica yet) or when the failover ends without one (a sentinel abandons a
    /// failover whose replica does not turn master within its failover timeout). Returns the new master and how many
    /// times it asked.
    /// </summary>
    public async Task<(RedisServer Promoted, int Asked)> FailoverAsync(RedisServer old, CancellationToken token)
    {
        var set = _set ?? throw new InvalidOperationException("a failover needs Sentinel");
        var deadline = DateTime.UtcNow + SettleTimeout;
        for (var asked = 1; ; asked++)
        {
            try
            {
                await set.Sentinels[(asked - 1) % set.Sentinels.Count].ExecuteAsync("SENTINEL", "FAILOVER", RedisReplicaSet.Service);
                return (await set.WaitForNewMasterAsync(old, TimeSpan.FromSeconds(15)).WaitAsync(token), asked);
            }
            catch (Exception e) when (e is RedisException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500, token);
            }
        }
    }

    /// <summary>Waits until the sentinels name a master other than <paramref name="old"/>, and it says it is one.</summary>
    public Task<RedisServer> WaitForNewMasterAsync(RedisServer old) =>
        (_set ?? throw new InvalidOperationException("a failover needs Sentinel")).WaitForNewMasterAsync(old, SettleTimeout);

    /// <summary>
    /// With Sentinel, waits until every sentinel names one master, that server says it is one, and every other server
    /// is its replica with its link up; returns the master's port. Without, nothing to wait for.
    /// </summary>
    public async Task<int> SettleAsync()
    {
        if (_set is null)
        {
            return _single!.Port;
        }

        var master = 0;
        await Eventually.HoldsAsync(
            async () =>
            {
                try
                {
                    var named = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var sentinel in _set.Sentinels)
                    {
                        var address = (RedisResult[]?)await sentinel.ExecuteAsync("SENTINEL", "GET-MASTER-ADDR-BY-NAME", RedisReplicaSet.Service);
                        named.Add(address is [_, var port] ? (string)port! : "");
                    }

                    if (named.Count != 1 || !int.TryParse(named.Single(), CultureInfo.InvariantCulture, out master))
                    {
                        return false;
                    }

                    // No sentinel thinks the master down, or fails it over (a master back within a second or two
                    // may have been found down meanwhile: its failover is let run).
                    foreach (var sentinel in _set.Sentinels)
                    {
                        var fields = (RedisResult[])(await sentinel.ExecuteAsync("SENTINEL", "MASTER", RedisReplicaSet.Service))!;
                        var flags = Enumerable.Range(0, fields.Length / 2).Where(i => (string?)fields[2 * i] == "flags").Select(i => (string?)fields[(2 * i) + 1]).FirstOrDefault();
                        if (flags != "master")
                        {
                            return false;
                        }
                    }

                    foreach (var server in Servers)
                    {
                        if (!server.IsRunning)
                        {
                            return false;
                        }

                        var role = (RedisResult[])(await server.ExecuteAsync("ROLE"))!;
                        var settled = server.Port == master
                            ? (string?)role[0] == "master"
                            : (string?)role[0] == "slave" && (int)role[2] == master && (string?)role[3] == "connected";
                        if (!settled)
                        {
                            return false;
                        }
                    }

                    return true;
                }
                catch (Exception e) when (e is RedisException or TimeoutException or InvalidCastException)
                {
                    return false;
                }
            },
            SettleTimeout,
            "every sentinel names one master and every other server is its replica, in sync");
        return master;
    }

    /// <summary>The newest sequence number of the room's log on <paramref name="server"/>, as text: "no room" without one, "no answer".</summary>
    public static async Task<string> NewestAsync(RedisServer server, string room)
    {
        try
        {
            var seq = await server.ExecuteAsync("HGET", $"{{{room}}}:meta", "seq");
            return seq.IsNull ? "no room" : (string)seq!;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return "no answer";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_set is not null)
        {
            // Every process, a stopped one included, stopped by PID.
            await _set.DisposeAsync();
        }

        if (_single is not null)
        {
            await _single.DisposeAsync();
        }
    }
}
