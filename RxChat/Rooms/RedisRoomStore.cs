using System.Globalization;
using System.Net;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging;
using RxChat.Core;
using StackExchange.Redis;

namespace RxChat.Rooms;

/// <summary>
/// The room's store in Redis (<see cref="IRoomStore"/>; docs/rooms.md has the layout): the log is one stream,
/// <c>{ROOM}:log</c>, whose entries have the ids <c>SEQ-0</c> and the fields <c>n</c> (node), <c>s</c> (the node's
/// sequence number), <c>t</c> (the room's time, Unix ms) and <c>e</c> (the event); <c>{ROOM}:meta</c> holds the epoch,
/// the newest entry, the room's time and settings, and each member's marks (<c>i</c>NODE: its first sequence number,
/// <c>n</c>NODE: its last); <c>{ROOM}:snapshot</c> the latest snapshot; <c>{ROOM}:nodes</c> the node counter.
/// Every operation is one Lua script, so that it is atomic; publications go to <c>{ROOM}:entries:DB</c> (pub/sub is not
/// scoped by database, so the database is in the name), with the configuration's channel prefix.
/// </summary>
internal sealed class RedisRoomStore : IRoomStore
{
    // Shared by the scripts: a field of an entry; whether the log holds the node's guard entry as the node knows it;
    // replacing the room by a new one; removing what the room never wrote past its newest entry; the room's time;
    // appending one entry at a dense id (setting the stream's last id back if something the room never wrote moved it).
    private const string Functions = """
        local function field(fields, name)
          for i = 1, #fields, 2 do if fields[i] == name then return fields[i + 1] end end
          return nil
        end
        local function holds(log, newest, g, gn, gs, gt)
          if g == 0 then return 'yes' end
          if newest < g then return 'no', 'its newest entry is ' .. newest .. ', this node knows entry ' .. g end
          local e = redis.call('XRANGE', log, g .. '-0', g .. '-0')
          if #e == 0 then return 'trimmed' end
          local f = e[1][2]
          local n, s, t = field(f, 'n'), field(f, 's'), field(f, 't')
          if n ~= gn or s ~= gs or t ~= gt then
            return 'no', 'entry ' .. g .. ' is ' .. tostring(n) .. '/' .. tostring(s) .. '/' .. tostring(t) .. ', this node knows it as ' .. gn .. '/' .. gs .. '/' .. gt
          end
          return 'yes'
        end
        local function replace(meta, log, snapshot, epoch)
          local s = redis.call('HMGET', meta, 'timeout', 'history')
          redis.call('DEL', meta, log, snapshot)
          redis.call('HSET', meta, 'epoch', epoch, 'seq', 0, 'time', 0, 'timeout', s[1] or '0', 'history', s[2] or '0')
        end
        local function clean(log, newest)
          local removed = 0
          while true do
            local junk = redis.call('XRANGE', log, '(' .. newest .. '-0', '+', 'COUNT', 100)
            if #junk == 0 then break end
            for i = 1, #junk do redis.call('XDEL', log, junk[i][1]) end
            removed = removed + #junk
          end
          return removed
        end
        local function now(before)
          local t = redis.call('TIME')
          local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
          before = tonumber(before or '0')
          if ms < before then ms = before end
          return ms
        end
        local function add(log, newest, seq, node, s, ms, payload)
          local r = redis.pcall('XADD', log, seq .. '-0', 'n', node, 's', s, 't', ms, 'e', payload)
          if type(r) == 'table' and r.err then
            redis.call('XSETID', log, newest .. '-0', 'ENTRIESADDED', newest, 'MAXDELETEDID', newest .. '-0')
            redis.call('XADD', log, seq .. '-0', 'n', node, 's', s, 't', ms, 'e', payload)
          end
        end

        """;

    // KEYS: meta, log, snapshot, nodes. ARGV: new epoch, node timeout (ms), history size, the node's first number.
    private const string JoinScript = Functions + """
        local epoch = redis.call('HGET', KEYS[1], 'epoch')
        local created = 0
        if not epoch then
          redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
          epoch = ARGV[1]
          redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0, 'time', 0, 'timeout', ARGV[2], 'history', ARGV[3])
          created = 1
        end
        local node = redis.call('INCR', KEYS[4])
        while redis.call('HEXISTS', KEYS[1], 'i' .. node) == 1 do node = redis.call('INCR', KEYS[4]) end
        redis.call('HSET', KEYS[1], 'i' .. node, ARGV[4], 'n' .. node, tonumber(ARGV[4]) - 1)
        local meta = redis.call('HMGET', KEYS[1], 'seq', 'timeout', 'history')
        local snap = redis.call('HMGET', KEYS[3], 'epoch', 'seq', 'state')
        local sseq, sstate = '0', ''
        if snap[1] == epoch and snap[3] then sseq = snap[2]; sstate = snap[3] end
        return {epoch, node, meta[1], meta[2] or ARGV[2], meta[3] or ARGV[3], created, sseq, sstate}
        """;

    // KEYS: log, meta, snapshot. ARGV: epoch, node, first number, its first event's number, guard (seq, n, s, t),
    // new epoch, channel, last (0/1), the events.
    private const string AppendScript = Functions + """
        local meta = redis.call('HMGET', KEYS[2], 'epoch', 'seq', 'time', 'n' .. ARGV[2], 'i' .. ARGV[2])
        if meta[1] ~= ARGV[1] then return {'gone'} end
        local newest = tonumber(meta[2])
        local h, why = holds(KEYS[1], newest, tonumber(ARGV[5]), ARGV[6], ARGV[7], ARGV[8])
        if h == 'no' then replace(KEYS[2], KEYS[1], KEYS[3], ARGV[9]); return {'lost', why} end
        if h == 'trimmed' then return {'trimmed'} end
        if not meta[5] then return {'retired'} end
        if meta[5] ~= ARGV[3] then
          replace(KEYS[2], KEYS[1], KEYS[3], ARGV[9])
          return {'lost', 'another node holds number ' .. ARGV[2] .. ' (the node counter went back)'}
        end
        local first = tonumber(ARGV[4])
        if first <= tonumber(meta[4]) then return {'duplicate'} end
        local removed = clean(KEYS[1], newest)
        local ms = now(meta[3])
        local count = #ARGV - 11
        for i = 1, count do add(KEYS[1], newest, newest + i, ARGV[2], first + i - 1, ms, ARGV[11 + i]) end
        redis.call('HSET', KEYS[2], 'seq', newest + count, 'time', ms, 'n' .. ARGV[2], first + count - 1)
        if ARGV[11] == '1' then redis.call('HDEL', KEYS[2], 'n' .. ARGV[2], 'i' .. ARGV[2]) end
        redis.call('PUBLISH', ARGV[10], (newest + 1) .. ' ' .. count .. ' ' .. ARGV[1])
        return {'done', newest + 1, ms, removed}
        """;

    // KEYS: log, meta, snapshot. ARGV: epoch, from, count, guard (seq, n, s, t), new epoch.
    private const string ReadScript = Functions + """
        local meta = redis.call('HMGET', KEYS[2], 'epoch', 'seq')
        if meta[1] ~= ARGV[1] then return {'gone'} end
        local newest = tonumber(meta[2])
        local h, why = holds(KEYS[1], newest, tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7])
        if h == 'no' then replace(KEYS[2], KEYS[1], KEYS[3], ARGV[8]); return {'lost', why} end
        if h == 'trimmed' then return {'trimmed', newest} end
        local from = tonumber(ARGV[2])
        local to = math.min(newest, from + tonumber(ARGV[3]) - 1)
        if to < from then return {'done', newest, {}} end
        return {'done', newest, redis.call('XRANGE', KEYS[1], from .. '-0', to .. '-0')}
        """;

    // KEYS: snapshot, meta, log. ARGV: epoch, seq, state, retention (ms). Keeps a newer snapshot, then trims the log:
    // what follows the snapshot before stays (a node may be joining from it), and so does what is younger than the
    // retention (found by a binary search over the entries' times, which never go back).
    private const string SnapshotScript = Functions + """
        if redis.call('HGET', KEYS[2], 'epoch') ~= ARGV[1] then return 0 end
        local cur = redis.call('HMGET', KEYS[1], 'epoch', 'seq')
        local prev = 0
        if cur[1] == ARGV[1] then prev = tonumber(cur[2]) end
        local seq = tonumber(ARGV[2])
        if prev >= seq then return 0 end
        redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'seq', seq, 'state', ARGV[3])
        if prev == 0 then return 1 end
        local cutoff = now('0') - tonumber(ARGV[4])
        local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
        if #first == 0 then return 1 end
        local lo = tonumber(string.match(first[1][1], '^(%d+)'))
        local hi = prev + 1
        while lo < hi do
          local mid = math.floor((lo + hi) / 2)
          local e = redis.call('XRANGE', KEYS[3], mid .. '-0', '+', 'COUNT', 1)
          if #e == 0 or tonumber(field(e[1][2], 't') or '0') > cutoff then hi = mid else lo = mid + 1 end
        end
        redis.call('XTRIM', KEYS[3], 'MINID', lo .. '-0')
        return 1
        """;

    // KEYS: meta, log. ARGV: epoch, node, channel. The room's own entry says the node is retired.
    private const string RetireScript = Functions + """
        local meta = redis.call('HMGET', KEYS[1], 'epoch', 'seq', 'time', 'i' .. ARGV[2])
        if meta[1] ~= ARGV[1] or not meta[4] then return 0 end
        redis.call('HDEL', KEYS[1], 'i' .. ARGV[2], 'n' .. ARGV[2])
        local newest = tonumber(meta[2])
        clean(KEYS[2], newest)
        local ms = now(meta[3])
        add(KEYS[2], newest, newest + 1, 0, 0, ms, '{"k":"r","x":' .. ARGV[2] .. '}')
        redis.call('HSET', KEYS[1], 'seq', newest + 1, 'time', ms)
        redis.call('PUBLISH', ARGV[3], (newest + 1) .. ' 1 ' .. ARGV[1])
        return 1
        """;

    private readonly ConfigurationOptions _configuration;
    private readonly IScheduler _time;
    private readonly ILogger _logger;
    private readonly RedisKey _log, _meta, _snapshot, _nodes;
    private readonly RedisChannel _channel;
    private readonly string _published;
    private readonly BehaviorSubject<StoreState> _states = new(new StoreState(Connected: false));
    private readonly Subject<Publication> _publications = new();
    private readonly TimeSpan _retry;
    private readonly string _room;
    private readonly SemaphoreSlim _following = new(1, 1);
    private readonly string? _authority;
    private volatile string? _primary;
    private volatile ConnectionMultiplexer? _redis;
    private ConnectionMultiplexer? _sentinels;
    private IDisposable? _watch;
    private volatile bool _disposed;

    /// <summary>Creates the store of <see cref="ChatServerOptions.Room"/> in <see cref="ChatServerOptions.Redis"/>; nothing connects yet.</summary>
    /// <param name="options">The node's options.</param>
    /// <param name="time">Where waits between attempts are timed.</param>
    /// <param name="logger">Where the store's messages go (never a password).</param>
    /// <exception cref="ArgumentException"><see cref="ChatServerOptions.Redis"/> is missing or not a configuration.</exception>
    public RedisRoomStore(ChatServerOptions options, IScheduler time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Redis);
        _time = time;
        _logger = logger;
        _configuration = ConfigurationOptions.Parse(options.Redis);
        _configuration.AbortOnConnectFail = false;
        _configuration.Protocol = RedisProtocol.Resp2; // subscriptions on a connection of their own
        _configuration.BacklogPolicy = BacklogPolicy.FailFast; // the log retries in its own order
        _configuration.ClientName ??= $"rxchat:{options.Room}";
        // Back soon after Redis is: a connection that is down is tried again at every heartbeat of the multiplexer's,
        // and a connect that hangs (Redis up but still loading its data) is abandoned by the retry policy and tried
        // again. The defaults, a heartbeat a second and an exponential retry from half the connect timeout (2.5 s),
        // made a node reconnect 2.5 to 3.4 s after Redis did (measured); with these, within half a second.
        _configuration.HeartbeatInterval = TimeSpan.FromMilliseconds(250);
        _configuration.ReconnectRetryPolicy = new LinearRetry(250);
        if (_configuration.ServiceName is not null)
        {
            // StackExchange.Redis's connection to the sentinels reconfigures with blocking calls on the thread pool
            // (seen, when it followed failovers itself: every worker blocked there for seconds, the node then counted
            // gone): room for them without waiting for the pool to grow.
            ThreadPool.GetMinThreads(out var workers, out var ports);
            ThreadPool.SetMinThreads(Math.Max(workers, 32), ports);
        }

        _authority = options.RedisCa;
        if (options.RedisCa is { } authority)
        {
            // A private certificate authority: the server's certificate must chain to it.
            _configuration.TrustIssuer(authority);
        }
        var prefix = "{" + options.Room + "}:";
        (_log, _meta, _snapshot, _nodes) = (prefix + "log", prefix + "meta", prefix + "snapshot", prefix + "nodes");
        var name = $"{prefix}entries:{(_configuration.DefaultDatabase ?? 0).ToString(CultureInfo.InvariantCulture)}";
        _channel = RedisChannel.Literal(name);
        // A channel prefix of the configuration's prefixes the subscription; the scripts publish to the full name.
        _published = ((string?)_configuration.ChannelPrefix ?? "") + name;
        _retry = RoomSettings.From(options).NodeHeartbeat;
        _room = options.Room;
        RoomLog.Connecting(logger, options.Room, Redacted);
    }

    /// <summary>The configuration as logs may show it: without its password.</summary>
    public string Redacted => _configuration.ToString(includePassword: false);

    /// <inheritdoc/>
    public IObservable<StoreState> States => _states.AsObservable();

    /// <inheritdoc/>
    public IObservable<Publication> Publications => _publications.AsObservable();

    /// <inheritdoc/>
    public IObservable<Unit> Connect() => Observable.FromAsync(async () =>
    {
        var (redis, primary) = await ConnectAsync().ConfigureAwait(false);
        Watch(redis);
        _redis = redis;
        await SubscribeAsync(redis).ConfigureAwait(false);
        await CheckAsync(redis).ConfigureAwait(false);
        _primary = primary ?? Primary(redis);
        _states.OnNext(new StoreState(Connected: redis.IsConnected, _primary));
        if (_sentinels is { } sentinels)
        {
            // The sentinels are asked which server is the primary at every heartbeat, and at once when one announces a
            // switch.
            _watch = Observable.Interval(_retry, _time).Subscribe(tick => _ = FollowSentinelsAsync());
            await sentinels.GetSubscriber().SubscribeAsync(RedisChannel.Literal("+switch-master"), (channel, message) => _ = FollowSentinelsAsync()).ConfigureAwait(false);
        }

        return Unit.Default;
    });

    // The multiplexer's events, while it is the one in use. They may come in either order for one connection (restored
    // before lost, seen): the state is the multiplexer's own, asked each time.
    private void Watch(ConnectionMultiplexer redis)
    {
        bool Current() => _redis is null || _redis == redis;
        redis.ConnectionFailed += (_, e) =>
        {
            if (!Current())
            {
                return;
            }

            RoomLog.RedisLost(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), e.Exception?.Message ?? "");
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _states.OnNext(new StoreState(redis.IsConnected, _primary));
            }
        };
        redis.ConnectionRestored += (_, e) =>
        {
            if (!Current())
            {
                return;
            }

            RoomLog.RedisRestored(_logger, e.EndPoint?.ToString() ?? "?");
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                _ = FollowAsync(redis);
            }
        };

        // A failover (a replica promoted by hand, or Sentinel's): the subscription stays on the server it was made on
        // while that connection lives, so it is made again on the new primary.
        redis.ConfigurationChanged += (_, _) =>
        {
            if (Current())
            {
                _ = FollowAsync(redis);
            }
        };
    }

    // Connects, as long as it takes (with sentinels, to the primary they name, once there is one); returns the
    // primary when the sentinels named it.
    private async Task<(ConnectionMultiplexer Redis, string? Primary)> ConnectAsync()
    {
        var failed = false;
        while (true)
        {
            try
            {
                var (redis, primary) = _configuration.ServiceName is null
                    ? (await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false), null)
                    : await ConnectToPrimaryAsync().ConfigureAwait(false)
                        ?? throw new RedisException($"no sentinel names a primary of {_configuration.ServiceName} that says it is one");
                if (_disposed)
                {
                    await redis.DisposeAsync().ConfigureAwait(false);
                    throw new ObjectDisposedException(nameof(RedisRoomStore));
                }

                return (redis, primary);
            }
            catch (Exception e) when (e is RedisException or TimeoutException && !_disposed)
            {
                if (!failed)
                {
                    RoomLog.JoinFailed(_logger, _room, e.Message);
                    failed = true;
                }

                await Observable.Timer(_retry, _time).ToTask().ConfigureAwait(false);
            }
        }
    }

    // Subscribes to the room's publications, waiting for Redis as long as it takes.
    private async Task SubscribeAsync(ConnectionMultiplexer redis)
    {
        var failed = false;
        while (!_disposed)
        {
            try
            {
                var subscriber = redis.GetSubscriber();
                await subscriber.UnsubscribeAsync(_channel).ConfigureAwait(false);
                var queue = await subscriber.SubscribeAsync(_channel).ConfigureAwait(false);
                queue.OnMessage(m =>
                {
                    if (Parse((string?)m.Message) is { } publication)
                    {
                        _publications.OnNext(publication);
                    }
                });
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis is not there yet: said once, and tried again after a heartbeat.
                if (!failed)
                {
                    RoomLog.JoinFailed(_logger, _room, e.Message);
                    failed = true;
                }

                await Observable.Timer(_retry, _time).ToTask().ConfigureAwait(false);
            }
        }
    }

    // With sentinels, the node uses the primary they name, and only that server (StackExchange.Redis's own following
    // elects among the servers that say they are primaries: after SENTINEL FAILOVER the old one still says so for
    // seconds, takes the room's writes and then loses them when it is made a replica; seen). Returns a multiplexer
    // connected to that server alone, and its name; null while no sentinel names one, or it does not say it is one yet.
    private async Task<(ConnectionMultiplexer Redis, string Primary)?> ConnectToPrimaryAsync()
    {
        if (_sentinels is null)
        {
            _sentinels = await ConnectionMultiplexer.SentinelConnectAsync(Copy()).ConfigureAwait(false);
        }

        if (await NamedPrimaryAsync(_sentinels).ConfigureAwait(false) is not { } named)
        {
            return null;
        }

        var configuration = Copy();
        configuration.ServiceName = null;
        configuration.EndPoints.Clear();
        configuration.EndPoints.Add(named);
        var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        if (redis.GetServer(named) is { IsConnected: true, IsReplica: false })
        {
            return (redis, Text(named));
        }

        await redis.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    // A copy of the configuration that trusts --redis-ca as the configuration does.
    private ConfigurationOptions Copy()
    {
        var copy = _configuration.Clone();
        if (_authority is { } authority)
        {
            copy.TrustIssuer(authority);
        }

        return copy;
    }

    // The primary the first sentinel that answers names.
    private async Task<EndPoint?> NamedPrimaryAsync(ConnectionMultiplexer sentinels)
    {
        foreach (var sentinel in sentinels.GetServers().Where(s => s.IsConnected))
        {
            try
            {
                if (await sentinel.SentinelGetMasterAddressByNameAsync(_configuration.ServiceName!).ConfigureAwait(false) is { } primary)
                {
                    return primary;
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // This one does not answer; the next may.
            }
        }

        return null;
    }

    // With sentinels: when they name another primary than the one in use, the node connects to it, subscribes there,
    // and uses it from then on (it is told, and reads what it may have missed). One check at a time; one that finds
    // the new primary not ready yet leaves it to the next.
    private async Task FollowSentinelsAsync()
    {
        if (_sentinels is not { } sentinels || !await _following.WaitAsync(0).ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (_disposed || await NamedPrimaryAsync(sentinels).ConfigureAwait(false) is not { } named || Text(named) == _primary
                || await ConnectToPrimaryAsync().ConfigureAwait(false) is not var (redis, primary))
            {
                return;
            }

            Watch(redis);
            await SubscribeAsync(redis).ConfigureAwait(false);
            var old = _redis;
            _redis = redis;
            RoomLog.PrimaryChanged(_logger, _room, _primary ?? "?", primary);
            _primary = primary;
            _states.OnNext(new StoreState(Connected: redis.IsConnected, _primary));
            if (old is not null)
            {
                await old.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // The next check tries again.
        }
        finally
        {
            _following.Release();
        }
    }

    // The connection is back, or the configuration changed: when the primary is another, its subscription is made
    // there, and the node is told (it then reads what it may have missed). With sentinels, they say which is.
    private async Task FollowAsync(ConnectionMultiplexer redis)
    {
        if (_sentinels is not null)
        {
            _states.OnNext(new StoreState(Connected: redis.IsConnected, _primary));
            await FollowSentinelsAsync().ConfigureAwait(false);
            return;
        }

        var primary = Primary(redis);
        if (primary is not null && _primary is not null && primary != _primary)
        {
            RoomLog.PrimaryChanged(_logger, _room, _primary, primary);
            await SubscribeAsync(redis).ConfigureAwait(false);
        }

        _primary = primary ?? _primary;
        _states.OnNext(new StoreState(Connected: redis.IsConnected, _primary));
    }

    private static string? Primary(ConnectionMultiplexer redis) =>
        redis.GetServers().FirstOrDefault(s => s.IsConnected && !s.IsReplica)?.EndPoint is { } primary ? Text(primary) : null;

    // An endpoint as HOST:PORT.
    private static string Text(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port.ToString(CultureInfo.InvariantCulture)}",
        _ => endPoint.ToString() ?? "?",
    };

    // What would make Redis lose the room on its own, said once at the start: evicting keys, or no append-only file.
    // INFO from a script: the multiplexer keeps INFO for admin mode, which the node does not need otherwise.
    private async Task CheckAsync(ConnectionMultiplexer redis)
    {
        try
        {
            var text = (string?)await redis.GetDatabase().ScriptEvaluateAsync(
                "return redis.call('INFO', 'memory') .. redis.call('INFO', 'persistence')").ConfigureAwait(false) ?? "";
            var info = text.Split('\n').Select(l => l.Trim().Split(':', 2)).Where(p => p.Length == 2)
                .GroupBy(p => p[0], StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First()[1], StringComparer.Ordinal);
            if (info.TryGetValue("maxmemory_policy", out var policy) && policy != "noeviction")
            {
                RoomLog.Unsafe(_logger, _room, $"maxmemory-policy is {policy}: when Redis is full it may evict the room's keys, and the room is then lost (use noeviction)");
            }

            if (info.TryGetValue("aof_enabled", out var aof) && aof == "0")
            {
                RoomLog.Unsafe(_logger, _room, "appendonly is off: a restart loses what Redis took since its last snapshot, and the room is then replaced (use appendonly yes, appendfsync always)");
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            RoomLog.Unsafe(_logger, _room, $"could not check how Redis keeps the room ({e.Message})");
        }
    }

    /// <inheritdoc/>
    public IObservable<JoinReply> Join(JoinRequest request) => Run(JoinScript, [_meta, _log, _snapshot, _nodes],
        [request.NewEpoch, (long)request.Settings.NodeTimeout.TotalMilliseconds, request.Settings.HistorySize, request.FirstNodeSeq],
        result =>
        {
            var r = (RedisResult[])result!;
            var settings = new RoomSettings(TimeSpan.FromMilliseconds(Long(r[3])), (int)Long(r[4]));
            var snapshot = (string?)r[7];
            return new JoinReply((string)r[0]!, Long(r[1]), settings, Long(r[2]), Long(r[6]), string.IsNullOrEmpty(snapshot) ? null : snapshot, Long(r[5]) == 1);
        });

    /// <inheritdoc/>
    public IObservable<AppendReply> Append(AppendRequest request)
    {
        var values = new RedisValue[11 + request.Payloads.Count];
        values[0] = request.Epoch;
        values[1] = request.Node;
        values[2] = request.Incarnation;
        values[3] = request.FirstNodeSeq;
        Guard(values, 4, request.Guard);
        values[8] = request.NewEpoch;
        values[9] = _published;
        values[10] = request.Last ? 1 : 0;
        for (var i = 0; i < request.Payloads.Count; i++)
        {
            values[11 + i] = request.Payloads[i];
        }

        return Run(AppendScript, [_log, _meta, _snapshot], values, result =>
        {
            var r = (RedisResult[])result!;
            return Status((string)r[0]!) switch
            {
                StoreStatus.Done => new AppendReply(StoreStatus.Done, Long(r[1]), Long(r[2]), (int)Long(r[3])),
                StoreStatus.Lost => new AppendReply(StoreStatus.Lost) { Why = (string?)r[1] },
                var status => new AppendReply(status),
            };
        });
    }

    /// <inheritdoc/>
    public IObservable<ReadReply> Read(ReadRequest request)
    {
        var values = new RedisValue[8];
        values[0] = request.Epoch;
        values[1] = request.From;
        values[2] = request.Count;
        Guard(values, 3, request.Guard);
        values[7] = request.NewEpoch;
        return Run(ReadScript, [_log, _meta, _snapshot], values, result =>
        {
            var r = (RedisResult[])result!;
            var status = Status((string)r[0]!);
            return status switch
            {
                StoreStatus.Done => new ReadReply(status, Long(r[1]), [.. ((RedisResult[])r[2]!).Select(Entry)]),
                StoreStatus.Trimmed => new ReadReply(status, Long(r[1]), []),
                StoreStatus.Lost => new ReadReply(status, 0, []) { Why = (string?)r[1] },
                _ => new ReadReply(status, 0, []),
            };
        });
    }

    /// <inheritdoc/>
    public IObservable<bool> Snapshot(SnapshotRequest request) => Run(SnapshotScript, [_snapshot, _meta, _log],
        [request.Epoch, request.Seq, request.State, (long)request.Retention.TotalMilliseconds], result => Long(result) == 1);

    /// <inheritdoc/>
    public IObservable<bool> Retire(RetireRequest request) => Run(RetireScript, [_meta, _log],
        [request.Epoch, request.Node, _published], result => Long(result) == 1);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        _watch?.Dispose();
        if (_redis is { } redis)
        {
            await redis.DisposeAsync().ConfigureAwait(false);
        }

        if (_sentinels is { } sentinels)
        {
            await sentinels.DisposeAsync().ConfigureAwait(false);
        }

        _publications.OnCompleted();
        _states.OnCompleted();
    }

    // A publication's text: "START COUNT EPOCH"; anything else is no publication of the room's.
    internal static Publication? Parse(string? text)
    {
        var parts = text?.Split(' ');
        return parts is [var start, var count, var epoch]
            && long.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            && long.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var c) && s > 0 && c > 0
            ? new Publication(s, c, epoch)
            : null;
    }

    // An entry as the script returns it ({id, {field, value, ...}}): one the room wrote has the id SEQ-0 and the
    // fields n, s, t and e; anything else is malformed (its sequence number is the id's first part, where it has one).
    internal static StoredEntry Entry(RedisResult result)
    {
        var parts = (RedisResult[])result!;
        var id = (string?)parts[0] ?? "";
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        _ = long.TryParse(dash < 0 ? id : id[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var seq);
        var fields = ((RedisResult[])parts[1]!).Select(f => (string?)f).ToArray();
        string? Field(string name)
        {
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                if (fields[i] == name)
                {
                    return fields[i + 1];
                }
            }

            return null;
        }

        static bool Number(string? text, out long value) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        if (dash < 0 || id[(dash + 1)..] != "0" || !Number(Field("n"), out var node) || !Number(Field("s"), out var nodeSeq)
            || !Number(Field("t"), out var millis) || Field("e") is not { } payload)
        {
            return new StoredEntry(seq, default, "", $"entry {id} is not one the room wrote (fields: {string.Join(' ', fields.Where((_, i) => i % 2 == 0))})");
        }

        return new StoredEntry(seq, new EntryId(node, nodeSeq, millis), payload);
    }

    private static void Guard(RedisValue[] values, int at, Guard guard)
    {
        values[at] = guard.Seq;
        values[at + 1] = guard.Entry.Node;
        values[at + 2] = guard.Entry.NodeSeq;
        values[at + 3] = guard.Entry.Millis;
    }

    private static StoreStatus Status(string status) => status switch
    {
        "done" => StoreStatus.Done,
        "duplicate" => StoreStatus.Duplicate,
        "gone" => StoreStatus.Gone,
        "lost" => StoreStatus.Lost,
        "retired" => StoreStatus.Retired,
        "trimmed" => StoreStatus.Trimmed,
        _ => throw new RoomStoreException($"unknown answer '{status}' from the room's script"),
    };

    private static long Long(RedisResult result) =>
        long.Parse((string?)result ?? "0", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    // One script, as one cold observable: a failure to reach Redis, or an answer it could not give, is a RoomStoreException.
    private IObservable<T> Run<T>(string script, RedisKey[] keys, RedisValue[] values, Func<RedisResult, T> read) => Observable.FromAsync(async () =>
    {
        if (_redis is not { } redis)
        {
            throw new RoomStoreException("not connected to Redis yet");
        }

        try
        {
            return read(await redis.GetDatabase().ScriptEvaluateAsync(script, keys, values).ConfigureAwait(false));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new RoomStoreException(e.Message, e);
        }
    });
}
