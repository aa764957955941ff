using System.Globalization;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RxChat.Core;
using StackExchange.Redis;

namespace RxChat.Rooms;

/// <summary>
/// The room's log in Redis (PROTOCOL.md, Rooms across nodes; docs/rooms.md): one Redis stream per
/// room, appended by a Lua script that gives each entry a dense sequence number and the room's time, remembers each
/// node's last batch (so a retried append is not appended twice) and publishes the batch. Every node consumes the
/// publications in order, reads what it missed from the stream (a gap, a reconnection), and folds the same entries.
/// </summary>
/// <remarks>
/// <para>
/// Which failure each part answers: the dense sequence number makes any missed entry a visible gap, filled from the
/// stream (a lost publication, a killed subscription); batches are appended one at a time and retried until they
/// land, and the script drops a batch it already has (a short outage loses and duplicates nothing); the epoch, a
/// random id the first append creates, changes when Redis comes back without the room, and every node then closes its
/// connections and serves a new room; the room's time comes from Redis, so that liveness (heartbeats, a node silent
/// past the node timeout) is decided by the fold in log time, alike everywhere; a node counted gone joins again under
/// a new number (fencing), and its old number's entries are ignored; a snapshot of the room every
/// <see cref="SnapshotEvery"/> entries lets a node join without reading the whole log, and the stream is trimmed
/// behind it.
/// </para>
/// <para>
/// One loop owns all the log's state: submissions from the node, publications, results of appends and reads, and
/// timer ticks are messages to it, handled one at a time; Redis calls run as tasks that post their results back.
/// This node's own events come back from Redis in the order it sent them, and the loop pairs them with the objects
/// it sent (a connection's inbox never leaves the node); this node's local events wait behind its room events
/// before them, so that its connections hear everything in its one order.
/// </para>
/// </remarks>
internal sealed class RedisRoomLog : IRoomLog, IAsyncDisposable
{
    /// <summary>Entries between snapshots.</summary>
    public const int SnapshotEvery = 1000;

    // Room events in one appended batch at most; entries read from the stream at a time.
    private const int BatchSize = 256;
    private const int PageSize = 1000;

    // Room events that may wait for Redis on this node: past it, a line is discarded and its sender told to slow down.
    private const int MaxWaiting = 65_536;

    // KEYS: the stream, the meta hash. ARGV: node, its first event number in the batch, the epoch the node belongs to
    // ('' for a node that joined a room not yet created), a new epoch should the room be new, the channel, the events.
    // Returns {epoch, first sequence number}; -1: the batch is there already; -2: the room the node belongs to is gone.
    private const string AppendScript = """
        local meta = redis.call('HMGET', KEYS[2], 'epoch', 'n' .. ARGV[1], 'time', 'seq')
        local epoch = meta[1]
        if not epoch then
          if ARGV[3] ~= '' then return {'', -2} end
          epoch = ARGV[4]
        elseif ARGV[3] ~= '' and epoch ~= ARGV[3] then
          return {epoch, -2}
        end
        local first = tonumber(ARGV[2])
        if first <= tonumber(meta[2] or '0') then return {epoch, -1} end
        local count = #ARGV - 5
        local now = redis.call('TIME')
        local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        local before = tonumber(meta[3] or '0')
        if ms < before then ms = before end
        local start = tonumber(meta[4] or '0') + 1
        local body = {}
        for i = 1, count do
          redis.call('XADD', KEYS[1], (start + i - 1) .. '-0', 'n', ARGV[1], 's', first + i - 1, 't', ms, 'e', ARGV[5 + i])
          body[i] = ARGV[5 + i]
        end
        redis.call('HSET', KEYS[2], 'epoch', epoch, 'n' .. ARGV[1], first + count - 1, 'time', ms, 'seq', start + count - 1)
        redis.call('PUBLISH', ARGV[5], start .. ' ' .. count .. ' ' .. epoch .. ' ' .. ms .. ' ' .. ARGV[1] .. ' ' .. first .. '\n' .. table.concat(body, '\n'))
        return {epoch, start}
        """;

    // Keeps the newest snapshot of the current epoch, then trims the stream behind the one before it.
    private const string SnapshotScript = """
        if redis.call('HGET', KEYS[2], 'epoch') ~= ARGV[2] then return 0 end
        local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
        if current >= tonumber(ARGV[1]) then return 0 end
        redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'epoch', ARGV[2], 'state', ARGV[3])
        redis.call('XTRIM', KEYS[3], 'MINID', ARGV[4])
        return 1
        """;

    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly ChatMetrics? _metrics;
    private readonly Channel<object> _inbox = Channel.CreateUnbounded<object>(new() { SingleReader = true });
    private readonly RedisKey _log, _meta, _nodes, _snapshot;
    private readonly RedisChannel _channel;
    private readonly TimeSpan _heartbeat;

    // The loop's state.
    private readonly Queue<Pending> _pending = new();      // this node's events not yet back from the log, in order
    private readonly Queue<Outgoing> _waiting = new();     // room events not yet appended, in order
    private readonly HashSet<ConnectionId> _turnedAway = []; // newcomers refused while their arrival was on its way
    private readonly HashSet<ConnectionId> _slowedDown = []; // senders told to slow down since their last line taken
    private bool _backlogged;       // lines are being discarded for want of room in the backlog (logged once)
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SortedDictionary<long, Raw> _ahead = []; // entries received past a gap
    private IObserver<RoomEntry>? _observer;
    private ConnectionMultiplexer? _redis;
    private Phase _phase = Phase.Starting;
    private long _node;
    private string? _epoch;
    private long _expected = 1;     // the next entry to fold
    private long _known;            // the newest entry known to exist
    private long _nodeSeq;          // this node's last numbered room event
    private Outgoing[]? _inFlight;  // the batch being appended
    private Outgoing[]? _pendingRetry; // the batch to append again after a failure
    private DateTimeOffset _retryAt;
    private bool _reading;          // a read of missed entries is under way
    private DateTimeOffset _lastTime; // the last entry's time
    private DateTimeOffset _lastAppend;
    private int _liveNodes;
    private bool _disposed;
    private bool _failing;          // appends fail (logged once until one succeeds)
    private long _generation;       // counts room losses and renumberings: Redis results from before are ignored

    public RedisRoomLog(ChatServerOptions options, IScheduler scheduler, ILogger logger, ChatMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(options.Redis);
        _options = options;
        _scheduler = scheduler;
        _logger = logger;
        _metrics = metrics;
        var prefix = "{" + options.Room + "}:";
        (_log, _meta, _nodes, _snapshot) = (prefix + "log", prefix + "meta", prefix + "nodes", prefix + "snapshot");
        _channel = RedisChannel.Literal(prefix + "entries");
        _heartbeat = RoomSettings.From(options).NodeHeartbeat;
        metrics?.WatchRoom(() => Math.Max(0, Volatile.Read(ref _known) - Volatile.Read(ref _expected) + 1), () => Volatile.Read(ref _liveNodes));
    }

    private enum Phase
    {
        Starting,   // no node number yet: connecting, or joining anew after the room was lost
        Joining,    // node number and snapshot taken, reading the log up to its end
        Live,       // caught up: appends and publications flow
        Rejoining,  // counted gone or the room lost: waiting for a new node number
    }

    /// <summary>Whether newcomers can join: this node is caught up with the room, and Redis takes its appends.</summary>
    private bool Reachable => _phase == Phase.Live && _redis is { IsConnected: true } && _pendingRetry is null;

    public Task Ready => _joined.Task;

    public IObservable<RoomEntry> Order(IObservable<Admitted> events) => Observable.Create<RoomEntry>(observer =>
    {
        _observer = observer;
        var loop = Task.Run(LoopAsync);
        var ticks = Observable.Interval(_heartbeat, _scheduler).Subscribe(_ => Post(new Tick()));
        var input = events.Subscribe(a => Post(a), e => Post(new InputFailed(e)), () => Post(new InputCompleted()));
        Post(new Start());
        return Disposable.Create(() =>
        {
            input.Dispose();
            ticks.Dispose();
            Post(new Stop());
        });
    });

    public void Folded(RoomEntry entry, ChatStep step)
    {
        // On the loop's thread: the fold runs inside the loop's emission.
        Volatile.Write(ref _liveNodes, step.State.Liveness.Nodes.Count);
        foreach (var gone in step.Reported.OfType<NodeGone>())
        {
            // Handled after this entry, not inside the fold's step.
            Post(new Fence(gone.Node));
        }

        if (!entry.Local && entry.Seq % SnapshotEvery == 0 && entry.Event.Id.Node == _node && _epoch is { } epoch && _redis is { } redis)
        {
            var state = RoomCodec.WriteSnapshot(step.State);
            var trimBelow = Math.Max(1, entry.Seq - SnapshotEvery);
            _ = Ignore(redis.GetDatabase().ScriptEvaluateAsync(SnapshotScript, [_snapshot, _meta, _log],
                [entry.Seq, epoch, state, $"{trimBelow}-0"]));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Post(new Stop());
        if (_redis is { } redis)
        {
            await redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Post(object message) => _inbox.Writer.TryWrite(message);

    private static async Task Ignore(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // A snapshot is an optimisation: the next one will do.
        }
    }

    private async Task LoopAsync()
    {
        var reader = _inbox.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var message))
            {
                try
                {
                    Handle(message);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A bug here must not stop the room: say so and go on with the next message.
                    _logger.LogError(e, "The room's log failed handling {Message}", message.GetType().Name);
                }

                if (_disposed)
                {
                    return;
                }
            }
        }
    }

    private void Handle(object message)
    {
        switch (message)
        {
            // What a Redis call started before the room was lost, or this node renumbered, found: out of date.
            case Joined { Generation: var g } when g != _generation:
            case JoinFailed { Generation: var f } when f != _generation:
            case Renumbered { Generation: var r } when r != _generation:
            case Page { Generation: var p } when p != _generation:
            case EpochChecked { Generation: var e } when e != _generation:
                break;
            case Start:
                _ = ConnectAsync();
                break;
            case Connected c:
                _redis = c.Redis;
                _ = JoinAsync(_generation);
                break;
            case Joined j:
                OnJoined(j);
                break;
            case JoinFailed f:
                RoomLog.JoinFailed(_logger, _options.Room, _options.Redis!, f.Error);
                RetryJoin();
                break;
            case Admitted a:
                Submit(a);
                break;
            case Publication p:
                OnPublication(p.Text);
                break;
            case Page page:
                OnPage(page);
                break;
            case Appended done:
                OnAppended(done);
                break;
            case AppendFailed failed when ReferenceEquals(failed.Batch, _inFlight):
                // Appended again, as it is, after a pause: if it landed after all, the script drops the repeat.
                if (!_failing)
                {
                    RoomLog.AppendFailed(_logger, failed.Error);
                    _failing = true;
                }

                _inFlight = null;
                _pendingRetry = failed.Batch;
                _retryAt = _scheduler.Now + _heartbeat;
                TurnAwayNewcomers();
                break;
            case Fence fence when fence.Node == _node && _phase == Phase.Live:
                RoomLog.Fenced(_logger, _node);
                Rejoin(keepRoom: true);
                break;
            case Renumbered r:
                OnRenumbered(r);
                break;
            case Restored:
                OnRestored();
                break;
            case EpochChecked check:
                if (check.Epoch != _epoch && _epoch is not null)
                {
                    LoseRoom(check.Epoch is null ? "Redis came back without the room's data" : "the room's epoch changed");
                }
                else
                {
                    ReadMissed();
                }

                break;
            case Tick:
                OnTick();
                break;
            case InputFailed or InputCompleted:
                FlushLocalUnordered();
                _observer?.OnCompleted();
                break;
            case Stop:
                _disposed = true;
                break;
        }
    }

    private async Task ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.Protocol = RedisProtocol.Resp2; // subscriptions on a connection of their own
        configuration.BacklogPolicy = BacklogPolicy.FailFast; // the log retries in its own order
        configuration.ClientName ??= $"rxchat:{_options.Room}";
        configuration.ReconnectRetryPolicy ??= new ExponentialRetry(100, 1000); // back within a second of Redis
        try
        {
            var redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
            redis.ConnectionFailed += (_, e) =>
            {
                RoomLog.RedisLost(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), e.Exception?.Message ?? "");
            };
            redis.ConnectionRestored += (_, e) =>
            {
                RoomLog.RedisRestored(_logger, e.EndPoint?.ToString() ?? "?");
                Post(new Restored());
            };
            var subscription = await Subscribe(redis).ConfigureAwait(false);
            subscription.OnMessage(m => Post(new Publication((string)m.Message!)));
            Post(new Connected(redis));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ArgumentException)
        {
            RoomLog.JoinFailed(_logger, _options.Room, _options.Redis!, e.Message);
            await RetryLater(ConnectAsync).ConfigureAwait(false);
        }
    }

    // Subscribes, waiting for Redis as long as it takes.
    private async Task<ChannelMessageQueue> Subscribe(ConnectionMultiplexer redis)
    {
        while (true)
        {
            try
            {
                return await redis.GetSubscriber().SubscribeAsync(_channel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                await Delay(_heartbeat).ConfigureAwait(false);
            }
        }
    }

    private Task Delay(TimeSpan delay) => Observable.Timer(delay, _scheduler).ToTask();

    private async Task RetryLater(Func<Task> action)
    {
        await Delay(_heartbeat).ConfigureAwait(false);
        if (!_disposed)
        {
            await action().ConfigureAwait(false);
        }
    }

    // A node number for this node's life in the room, the epoch, and the latest snapshot of the room.
    private void RetryJoin()
    {
        var generation = _generation;
        _ = Delay(_heartbeat).ContinueWith(_ => JoinAsync(generation), TaskScheduler.Default);
    }

    private async Task JoinAsync(long generation)
    {
        try
        {
            var db = _redis!.GetDatabase();
            var node = await db.StringIncrementAsync(_nodes).ConfigureAwait(false);
            var meta = await db.HashGetAsync(_meta, ["epoch", "seq"]).ConfigureAwait(false);
            var snapshot = await db.HashGetAsync(_snapshot, ["seq", "epoch", "state"]).ConfigureAwait(false);
            var epoch = meta[0].IsNull ? null : (string?)meta[0];
            var room = epoch is not null && snapshot[1] == epoch && !snapshot[2].IsNull ? RoomCodec.ReadSnapshot((string)snapshot[2]!, RoomSettings.From(_options)) : null;
            Post(new Joined(generation, node, epoch, room, meta[1].IsNull ? 0 : (long)meta[1]));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or FormatException)
        {
            Post(new JoinFailed(generation, e.Message));
        }
    }

    private void OnJoined(Joined joined)
    {
        _node = joined.Node;
        _nodeSeq = 0;
        _epoch = joined.Epoch;
        _known = Math.Max(_known, joined.Newest);
        if (joined.Room is { } room)
        {
            Emit(new RoomEntry(room.Seq, room.Time ?? _scheduler.Now, new RoomLoaded(room), Local: true));
            _expected = room.Seq + 1;
        }

        _phase = Phase.Joining;
        ReadMissed();
    }

    private void OnRenumbered(Renumbered renumbered)
    {
        _node = renumbered.Node;
        _nodeSeq = 0;
        _phase = Phase.Live;
        RoomLog.Joined(_logger, _options.Room, _options.Redis!, _node, _expected - 1);
        SendNext();
    }

    // Reads the entries this node has not folded, from the stream, a page at a time.
    private void ReadMissed()
    {
        if (_reading || _redis is null)
        {
            return;
        }

        _reading = true;
        _ = ReadAsync(_generation, _expected);
    }

    private async Task ReadAsync(long generation, long from)
    {
        try
        {
            var entries = await _redis!.GetDatabase().StreamRangeAsync(_log, $"{from}-0", "+", PageSize).ConfigureAwait(false);
            Post(new Page(generation, [.. entries.Select(Raw.From)]));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or FormatException)
        {
            Post(new Page(generation, null));
        }
    }

    private void OnPage(Page page)
    {
        _reading = false;
        if (page.Entries is null)
        {
            // Redis is away: a tick or its return will read again.
            return;
        }

        if (page.Entries.Length > 0 && page.Entries[0].Seq > _expected)
        {
            if (_phase != Phase.Joining)
            {
                // Entries this node needs are gone from the stream (it fell behind a trim): it cannot catch up.
                LoseRoom("this node fell too far behind the room");
                return;
            }

            // A node that joins starts where the stream starts (behind a snapshot, or a new room).
            _expected = page.Entries[0].Seq;
        }

        foreach (var raw in page.Entries)
        {
            Receive(raw);
        }

        if (page.Entries.Length == PageSize)
        {
            ReadMissed();
            return;
        }

        if (_phase == Phase.Joining)
        {
            _phase = Phase.Live;
            RoomLog.Joined(_logger, _options.Room, _options.Redis!, _node, _expected - 1);
            _joined.TrySetResult();
            DeliverAhead();
            SendNext();
        }
    }

    private void OnPublication(string text)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var header = (newline < 0 ? text : text[..newline]).Split(' ');
        if (header.Length != 6)
        {
            return;
        }

        var (start, count, epoch, ms, node, first) = (Long(header[0]), Long(header[1]), header[2], Long(header[3]), Long(header[4]), Long(header[5]));
        if (_epoch is null)
        {
            _epoch = epoch;
        }
        else if (epoch != _epoch)
        {
            LoseRoom("Redis came back without the room's data");
            return;
        }

        var payloads = newline < 0 ? [] : text[(newline + 1)..].Split('\n');
        var time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        for (var i = 0; i < count && i < payloads.Length; i++)
        {
            FromPublication(new Raw(start + i, node, first + i, time, payloads[i]));
        }
    }

    private static long Long(string text) => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);

    // An entry from a publication: while this node catches up, the read brings entries in order and publications
    // wait; afterwards, folded now if it is the next one, kept if it is ahead of a gap.
    private void FromPublication(Raw raw)
    {
        _known = Math.Max(_known, raw.Seq);
        if (_phase == Phase.Joining)
        {
            _ahead.TryAdd(raw.Seq, raw);
            return;
        }

        Receive(raw);
    }

    private void Receive(Raw raw)
    {
        _known = Math.Max(_known, raw.Seq);
        if (raw.Seq < _expected)
        {
            return;
        }

        if (raw.Seq > _expected)
        {
            _ahead.TryAdd(raw.Seq, raw);
            if (_phase == Phase.Live && !_reading)
            {
                RoomLog.Gap(_logger, _expected, raw.Seq - 1);
                ReadMissed();
            }

            return;
        }

        Fold(raw);
        DeliverAhead();
    }

    private void DeliverAhead()
    {
        while (_ahead.Remove(_expected, out var next))
        {
            Fold(next);
        }

        foreach (var stale in _ahead.Keys.Where(k => k < _expected).ToList())
        {
            _ahead.Remove(stale);
        }
    }

    private void Fold(Raw raw)
    {
        _expected = raw.Seq + 1;
        _lastTime = raw.Time;

        // This node's own events come back in the order it sent them; one that never will (its batch was dropped
        // with a lost room) must not hold up those behind it.
        while (raw.Node == _node && _pending.TryPeek(out var lost) && lost.NodeSeq != 0 && lost.NodeSeq < raw.NodeSeq)
        {
            _pending.Dequeue();
            FlushLocal();
        }

        if (raw.Node == _node && _pending.TryPeek(out var head) && head.NodeSeq == raw.NodeSeq)
        {
            // One of this node's own, as it sent it; then its local events that waited behind it.
            _pending.Dequeue();
            Emit(new RoomEntry(raw.Seq, raw.Time, head.Event, Node: raw.Node));
            FlushLocal();
            return;
        }

        ChatEvent e;
        try
        {
            e = RoomCodec.ReadEvent(raw.Payload, raw.Node);
        }
        catch (FormatException error)
        {
            RoomLog.Unreadable(_logger, raw.Seq, raw.Node, error.Message);
            e = new NodeHeartbeat();
        }

        Emit(new RoomEntry(raw.Seq, raw.Time, e, Node: raw.Node));
    }

    private void Emit(RoomEntry entry) => _observer?.OnNext(entry);

    // This node's local events at the head of the queue: nothing of this node's before them is still on its way.
    private void FlushLocal()
    {
        while (_pending.TryPeek(out var head) && head.NodeSeq == 0)
        {
            _pending.Dequeue();
            Emit(new RoomEntry(_expected - 1, _lastTime, head.Event, Local: true));
        }
    }

    // An event of this node's: to the room (numbered, queued for Redis, paired with its entry when it comes back), or
    // kept here, after this node's events before it.
    private void Submit(Admitted admitted)
    {
        var e = admitted.Event.Id.Node == 0 ? admitted.Event with { Id = admitted.Event.Id with { Node = _node } } : admitted.Event;
        if (_turnedAway.Contains(e.Id))
        {
            // What a turned-away newcomer sent before its connection closed goes nowhere; its departure goes on.
            if (e is not ClientLeft)
            {
                return;
            }

            _turnedAway.Remove(e.Id);
        }

        if (e is ClientWired wired && !admitted.Local && !Reachable)
        {
            // No room to join: the newcomer is told at once, not behind this node's events that wait for Redis (it
            // has heard nothing yet, so no order is broken).
            Emit(new RoomEntry(_expected - 1, _lastTime, wired with { Refused = DisconnectReason.RoomUnavailable }, Local: true));
            return;
        }

        if (e is ServerStopping && !Reachable)
        {
            // Redis is away: what waits for it will not come back in time; this node's connections hear of the stop now.
            FlushLocalUnordered();
            Emit(new RoomEntry(_expected - 1, _lastTime, e, Local: true));
            return;
        }

        if (admitted.Local)
        {
            Local(e);
            return;
        }

        if (_phase != Phase.Live || RoomCodec.Write(e) is not { } payload)
        {
            // Before this node has joined (or while it joins again) nothing of its own is in the room.
            return;
        }

        if (e is LineReceived && _waiting.Count >= MaxWaiting)
        {
            // The room takes this node's lines more slowly than its clients send them (a flood, or Redis away): the
            // line is discarded and its sender told, once until one of its lines is taken again, as with the send
            // rate (PROTOCOL.md, Limits and bad input). Nobody else loses anything, and the node keeps its room.
            if (_slowedDown.Add(e.Id))
            {
                Local(new LineRefused(e.Id, "error: slow down"));
            }

            if (!_backlogged)
            {
                RoomLog.Backlogged(_logger, _options.Room, _waiting.Count);
                _backlogged = true;
            }

            return;
        }

        // Logged again only after the backlog has halved.
        _backlogged &= _waiting.Count >= MaxWaiting / 2;

        if (_slowedDown.Count > 0 && e is LineReceived or ClientLeft)
        {
            _slowedDown.Remove(e.Id);
        }

        var item = new Outgoing(++_nodeSeq, payload);
        _pending.Enqueue(new Pending(item.NodeSeq, e));
        _waiting.Enqueue(item);
        SendNext();
    }

    // Redis is away: a newcomer whose arrival is still on its way to the room (it came just before this node knew)
    // is told now that no room can be reached, as one that comes later is, instead of waiting without a prompt.
    // What it queued for the room and is not yet being appended (its arrival, a name typed without a prompt) becomes
    // a heartbeat, so that nobody ever hears of it and node numbers stay dense; an arrival already in the batch on
    // its way lands as an unnamed connection of this node without an inbox here, and its departure follows.
    private void TurnAwayNewcomers()
    {
        if (!_pending.Any(p => p.NodeSeq != 0 && p.Event is ClientWired))
        {
            return;
        }

        var queued = _waiting.Select(w => w.NodeSeq).ToHashSet();
        var heartbeat = new NodeHeartbeat();
        var silenced = new HashSet<long>();
        var pending = _pending.ToList();
        _pending.Clear();
        foreach (var p in pending)
        {
            var next = p;
            if (p.NodeSeq != 0 && p.Event is ClientWired wired)
            {
                Emit(new RoomEntry(_expected - 1, _lastTime, wired with { Refused = DisconnectReason.RoomUnavailable }, Local: true));
                _turnedAway.Add(wired.Id);
                next = p with { Event = queued.Contains(p.NodeSeq) ? heartbeat : new ClientConnected(wired.Id, wired.Arrival.RemoteAddress) };
            }
            else if (p.NodeSeq != 0 && _turnedAway.Contains(p.Event.Id) && queued.Contains(p.NodeSeq))
            {
                next = p with { Event = heartbeat };
            }

            if (!ReferenceEquals(next.Event, p.Event) && next.Event is NodeHeartbeat)
            {
                silenced.Add(p.NodeSeq);
            }

            _pending.Enqueue(next);
        }

        if (silenced.Count > 0 && RoomCodec.Write(heartbeat) is { } payload)
        {
            var waiting = _waiting.ToList();
            _waiting.Clear();
            foreach (var w in waiting)
            {
                _waiting.Enqueue(silenced.Contains(w.NodeSeq) ? w with { Payload = payload } : w);
            }
        }
    }

    // This node's local events, now, without waiting for its room events before them (which will not come back).
    private void FlushLocalUnordered()
    {
        var locals = _pending.Where(p => p.NodeSeq == 0).Select(p => p.Event).ToList();
        _pending.Clear();
        foreach (var local in locals)
        {
            Emit(new RoomEntry(_expected - 1, _lastTime, local, Local: true));
        }
    }

    private void Local(ChatEvent e)
    {
        if (_pending.Count == 0)
        {
            Emit(new RoomEntry(_expected - 1, _lastTime, e, Local: true));
        }
        else
        {
            _pending.Enqueue(new Pending(0, e));
        }
    }

    // Appends the next batch when none is under way: one batch at a time, so that batches land in order.
    private void SendNext()
    {
        if (_phase != Phase.Live || _inFlight is not null || _redis is null)
        {
            return;
        }

        Outgoing[] batch;
        if (_pendingRetry is { } retry)
        {
            if (_scheduler.Now < _retryAt)
            {
                return;
            }

            batch = retry;
            _pendingRetry = null;
        }
        else if (_waiting.Count > 0)
        {
            batch = new Outgoing[Math.Min(BatchSize, _waiting.Count)];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = _waiting.Dequeue();
            }
        }
        else
        {
            return;
        }

        _inFlight = batch;
        _lastAppend = _scheduler.Now;
        _ = AppendAsync(batch, _node, _epoch);
    }

    private async Task AppendAsync(Outgoing[] batch, long node, string? epoch)
    {
        var values = new RedisValue[5 + batch.Length];
        values[0] = node;
        values[1] = batch[0].NodeSeq;
        values[2] = epoch ?? "";
        values[3] = Guid.NewGuid().ToString("N");
        values[4] = _channel.ToString();
        for (var i = 0; i < batch.Length; i++)
        {
            values[5 + i] = batch[i].Payload;
        }

        try
        {
            var result = (RedisResult[])(await _redis!.GetDatabase().ScriptEvaluateAsync(AppendScript, [_log, _meta], values).ConfigureAwait(false))!;
            Post(new Appended(batch, (string)result[0]!, (long)result[1]));
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            Post(new AppendFailed(batch, e.Message));
        }
    }

    private void OnAppended(Appended done)
    {
        if (!ReferenceEquals(done.Batch, _inFlight))
        {
            return;
        }

        _inFlight = null;
        _failing = false;
        if (done.Start == -2)
        {
            // The room this node belongs to is gone (nothing was appended).
            LoseRoom("Redis came back without the room's data");
            return;
        }

        _epoch ??= done.Epoch;
        if (done.Start > 0)
        {
            _known = Math.Max(_known, done.Start + done.Batch.Length - 1);
            _metrics?.RoomEntriesAppended.Add(done.Batch.Length);
        }

        SendNext();
    }

    private void OnRestored()
    {
        if (_redis is null || _phase == Phase.Starting)
        {
            return;
        }

        // Redis is back: is it the same room? Then read what the subscription missed meanwhile.
        _ = CheckEpochAsync(_generation);
        if (_pendingRetry is not null)
        {
            _retryAt = default;
            SendNext();
        }
    }

    private async Task CheckEpochAsync(long generation)
    {
        try
        {
            var epoch = await _redis!.GetDatabase().HashGetAsync(_meta, "epoch").ConfigureAwait(false);
            Post(new EpochChecked(generation, epoch.IsNull ? null : (string?)epoch));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Still away; the next restoration or tick tries again.
        }
    }

    private void OnTick()
    {
        if (_phase != Phase.Live)
        {
            return;
        }

        // A quiet node says it is alive, once a heartbeat (the ticks come a heartbeat apart, so "half a heartbeat
        // since the last append" is every tick unless something else was appended since the last one); every node's
        // entries are the room's clock.
        if (_scheduler.Now - _lastAppend >= _heartbeat / 2 && _inFlight is null && _waiting.Count == 0 && _pendingRetry is null)
        {
            Submit(new Admitted(new NodeHeartbeat(), Local: false));
        }

        SendNext();

        // Entries known to exist but not seen (a publication lost without a later one to show the gap).
        if (_known >= _expected && !_reading)
        {
            ReadMissed();
        }
    }

    // The room is gone for this node (Redis lost it, or the node cannot catch up): its connections are told and
    // closed, and it joins the room anew under a new number.
    private void LoseRoom(string why)
    {
        RoomLog.Restarted(_logger, _options.Room, why);
        _waiting.Clear();
        _pendingRetry = null;
        _inFlight = null;
        _ahead.Clear();
        FlushLocalUnordered();
        Emit(new RoomEntry(_expected - 1, _lastTime, new RoomLost(), Local: true));
        _epoch = null;
        _expected = 1;
        _known = 0;
        Rejoin(keepRoom: false);
    }

    // A new node number: after being counted gone (the room goes on), or after losing the room (read it anew).
    private void Rejoin(bool keepRoom)
    {
        if (keepRoom)
        {
            // What this node sent under its old number is ignored by the room; its local events need not wait.
            _waiting.Clear();
            _pendingRetry = null;
            FlushLocalUnordered();
            _generation++;
            _reading = false;
            _phase = Phase.Rejoining;
            _ = RenumberAsync(_generation);
        }
        else
        {
            _generation++;
            _reading = false;
            _phase = Phase.Starting;
            if (_redis is not null)
            {
                RetryJoin();
            }
        }
    }

    private async Task RenumberAsync(long generation)
    {
        while (!_disposed)
        {
            try
            {
                var node = await _redis!.GetDatabase().StringIncrementAsync(_nodes).ConfigureAwait(false);
                Post(new Renumbered(generation, node));
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                await Delay(_heartbeat).ConfigureAwait(false);
            }
        }
    }

    private sealed record Start;

    private sealed record Stop;

    private sealed record Tick;

    private sealed record Restored;

    private sealed record InputCompleted;

    private sealed record InputFailed(Exception Error);

    private sealed record Connected(ConnectionMultiplexer Redis);

    private sealed record Joined(long Generation, long Node, string? Epoch, ChatState? Room, long Newest);

    private sealed record JoinFailed(long Generation, string Error);

    private sealed record Renumbered(long Generation, long Node);

    private sealed record Publication(string Text);

    private sealed record Page(long Generation, Raw[]? Entries);

    private sealed record Appended(Outgoing[] Batch, string Epoch, long Start);

    private sealed record AppendFailed(Outgoing[] Batch, string Error);

    private sealed record EpochChecked(long Generation, string? Epoch);

    private sealed record Fence(long Node);

    /// <summary>A room event of this node's on its way to Redis.</summary>
    private sealed record Outgoing(long NodeSeq, string Payload);

    /// <summary>An event of this node's waiting for its place in the order: a room event (its number) or a local one (0).</summary>
    private sealed record Pending(long NodeSeq, ChatEvent Event);

    /// <summary>An entry as the log keeps it.</summary>
    private sealed record Raw(long Seq, long Node, long NodeSeq, DateTimeOffset Time, string Payload)
    {
        public static Raw From(StreamEntry entry)
        {
            var id = ((string)entry.Id!).Split('-')[0];
            return new Raw(Long(id), (long)entry["n"], (long)entry["s"], DateTimeOffset.FromUnixTimeMilliseconds((long)entry["t"]), (string)entry["e"]!);
        }
    }
}
