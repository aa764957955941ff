using System.Globalization;
using StackExchange.Redis;

namespace RxChat.Tests.Support;

/// <summary>
/// Redis with real replication and real Sentinel, on loopback ports of their own (ha-tls.md §1.5): one master, its
/// replicas (<c>--replicaof</c>, diskless sync without delay) and three sentinels (quorum 2, a master down after one
/// second), every process stopped by PID. Nodes reach it through the sentinels (<see cref="Configuration"/>), as
/// StackExchange.Redis does with a <c>serviceName</c>.
/// </summary>
internal sealed class RedisReplicaSet : IAsyncDisposable
{
    /// <summary>The name the sentinels know the master by.</summary>
    public const string Service = "m";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly List<RedisServer> _servers = [];
    private readonly List<RedisServer> _sentinels = [];

    private RedisReplicaSet()
    {
    }

    /// <summary>The master the set started with.</summary>
    public RedisServer Master => _servers[0];

    /// <summary>Its replicas.</summary>
    public IReadOnlyList<RedisServer> Replicas => _servers.Skip(1).ToList();

    /// <summary>The master it started with, then its replicas: whichever is master now.</summary>
    public IReadOnlyList<RedisServer> Servers => _servers;

    /// <summary>The sentinels.</summary>
    public IReadOnlyList<RedisServer> Sentinels => _sentinels;

    /// <summary>What a node takes as <c>--redis</c>: the sentinels and the service name.</summary>
    public string Configuration => string.Join(',', _sentinels.Select(s => s.Configuration)) + $",serviceName={Service}";

    /// <summary>
    /// Starts the master, <paramref name="replicas"/> replicas (returns once each is online), then three sentinels
    /// (returns once each knows every replica and the other sentinels, so that a failover can be agreed on). With
    /// <paramref name="persistent"/>, every server keeps every write on disk before it acknowledges it
    /// (<see cref="RedisServer.StartAsync"/>), and the master too syncs a replica without delay, so that any of them can
    /// be master, be restarted with its data, and resync a replica at once.
    /// </summary>
    public static async Task<RedisReplicaSet> StartAsync(int replicas = 2, bool persistent = false)
    {
        var set = new RedisReplicaSet();
        try
        {
            var master = persistent ? await RedisServer.StartAsync(true, "--repl-diskless-sync-delay", "0") : await RedisServer.StartAsync();
            set._servers.Add(master);
            var port = master.Port.ToString(CultureInfo.InvariantCulture);
            set._servers.AddRange(await Task.WhenAll(Enumerable.Range(0, replicas).Select(_ =>
                RedisServer.StartAsync(persistent, "--replicaof", "127.0.0.1", port, "--repl-diskless-sync-delay", "0"))));
            await Eventually.HoldsAsync(
                async () => ((string?)await master.ExecuteAsync("INFO", "replication"))!.Split('\n').Count(l => l.Contains("state=online", StringComparison.Ordinal)) == replicas,
                StartTimeout, $"{replicas} replicas online");

            // Started once the replicas are online, so that each sentinel's first look at the master finds them.
            set._sentinels.AddRange(await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
                RedisServer.StartSentinelAsync(Service, master.Port, quorum: 2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3)))));
            await Eventually.HoldsAsync(
                async () =>
                {
                    foreach (var sentinel in set._sentinels)
                    {
                        var known = (RedisResult[])(await sentinel.ExecuteAsync("SENTINEL", "REPLICAS", Service))!;
                        var others = (RedisResult[])(await sentinel.ExecuteAsync("SENTINEL", "SENTINELS", Service))!;
                        if (known.Length != replicas || others.Length != set._sentinels.Count - 1)
                        {
                            return false;
                        }
                    }

                    return true;
                },
                StartTimeout, "every sentinel knows every replica and the other sentinels");
        }
        catch
        {
            await set.DisposeAsync();
            throw;
        }

        return set;
    }

    /// <summary>The master's port as the sentinels tell it (the first that answers).</summary>
    public async Task<int?> MasterPortAsync()
    {
        foreach (var sentinel in _sentinels)
        {
            try
            {
                var address = (RedisResult[]?)await sentinel.ExecuteAsync("SENTINEL", "GET-MASTER-ADDR-BY-NAME", Service);
                if (address is [_, var port])
                {
                    return int.Parse((string)port!, CultureInfo.InvariantCulture);
                }
            }
            catch (RedisException)
            {
                // This one does not answer; the next may.
            }
        }

        return null;
    }

    /// <summary>Waits until the sentinels name a master other than <paramref name="old"/>, and it says it is one; returns it.</summary>
    public async Task<RedisServer> WaitForNewMasterAsync(RedisServer old, TimeSpan timeout)
    {
        RedisServer? promoted = null;
        await Eventually.HoldsAsync(
            async () =>
            {
                var port = await MasterPortAsync();
                promoted = _servers.FirstOrDefault(s => s.Port == port && s != old);
                if (promoted is null)
                {
                    return false;
                }

                var role = (RedisResult[])(await promoted.ExecuteAsync("ROLE"))!;
                return (string?)role[0] == "master";
            },
            timeout, "a new master");
        return promoted!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _sentinels.Concat(_servers))
        {
            try
            {
                server.Signal(18); // a server left stopped (SIGSTOP) must be able to die
            }
            catch (InvalidOperationException)
            {
            }

            await server.DisposeAsync();
        }
    }
}
