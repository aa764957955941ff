using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using Microsoft.Extensions.Logging;
using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>
/// The log of a room shared by several nodes through a store (PROTOCOL.md, Rooms across nodes; docs/rooms.md): every
/// node appends its events to the store's log and folds the room's entries from it, in the log's one order, so that
/// every node shows the same room. The store's I/O is <see cref="IRoomStore"/>'s (Redis, or a scripted fake in
/// tests); this type is its one owner and decides.
/// </summary>
/// <remarks>
/// <para>
/// One owner, one thread at a time: everything here runs on the loop scheduler (an event loop in production, the
/// test's <c>TestScheduler</c> in tests), as actions posted to it: this node's events, the store's replies and
/// states, publications, and ticks of the time scheduler. The decisions that need no I/O are parts with tests of their
/// own: <see cref="Sequencer"/> (where this node is in the log, what to read, what a read brings),
/// <see cref="Pairing"/> (this node's events with their entries, and its local events behind them),
/// <see cref="AppendQueue"/> (what waits for the store, batches, retries, the backlog's bound, heartbeats) and
/// <see cref="Lobby"/> (newcomers not in the room yet). The files of this type split it by seam: joining and leaving
/// the room (<c>SharedRoomLog.Join.cs</c>), appending (<c>.Append.cs</c>), reading and folding (<c>.Read.cs</c>).
/// </para>
/// <para>
/// Which failure each part answers. An entry is folded only once the store has it: read from the log, or, for this
/// node's own batch, answered by the append. Every append and read is guarded by the newest entry this node knows, so
/// a log that lost entries (a restart from older data, a failover to a replica that lagged) is noticed by the first
/// node that touches it, which replaces the room; every node then closes its connections and serves the new room. A
/// batch that failed is sent again as it was, and the store drops a repeat, so a short outage loses and duplicates
/// nothing. The room's time is the store's, so liveness is decided in log time by the fold, alike everywhere; a node
/// counted gone is retired (the store takes nothing more from it) and joins again under a new number; a node that has
/// not reached the store for the node timeout closes its connections and joins afresh once it can. Newcomers wait in
/// the lobby while the node cannot serve, at most the node timeout. A snapshot every <see cref="SnapshotEvery"/>
/// entries lets a node join without reading the whole log, and the log keeps what a node may still need behind it.
/// </para>
/// </remarks>
internal sealed partial class SharedRoomLog : IRoomLog, IAsyncDisposable
{
    /// <summary>Entries between snapshots: the node whose entry lands on a multiple of this writes one.</summary>
    public const int SnapshotEvery = 1000;

    // Room events in one appended batch at most; entries read at a time.
    private const int BatchSize = 256;
    private const int PageSize = 1000;

    private readonly ChatServerOptions _options;
    private readonly Bounds _bounds;
    private readonly IRoomStore _store;
    private readonly IScheduler _time;
    private readonly IScheduler _loop;
    private readonly ILogger _logger;
    private readonly ChatMetrics? _metrics;
    private readonly Random _random;
    private readonly string _where;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CompositeDisposable _subscriptions = [];
    private readonly SerialDisposable _ticks = new();
    private bool _ownsLoop;

    // The loop's state: read and written on the loop only (the metrics' mirrors below excepted).
    private readonly Sequencer _sequencer = new();
    private readonly Pairing _pairing = new();
    private readonly AppendQueue _queue;
    private readonly Lobby _lobby = new();
    private readonly HashSet<long> _refused = [];       // newcomers turned away whose arrival is still on its way
    private readonly HashSet<ConnectionId> _slowedDown = []; // senders told to slow down since their last line taken
    private IObserver<RoomEntry>? _observer;
    private Phase _phase = Phase.Connecting;
    private long _generation;          // counts joins; a store reply from an earlier one is out of date
    private string? _epoch;            // the room this node belongs to
    private long _node;                // this node's number in it; 0 while it has none
    private long _incarnation;         // this node's first sequence number under that number (random)
    private RoomSettings _settings;    // the room's settings (the node's own until it has joined)
    private DateTimeOffset _lastTime;  // the time of the last entry folded
    private DateTimeOffset _lastContact; // when the store last answered
    private long _retire;              // a number of this node's to retire before it joins again (0: none)
    private long _catchUpTo;           // the room's newest entry when this node joined
    private bool _connected;           // the store is reached
    private string? _primary;          // the store's primary, as it last said
    private bool _stopping;            // this node's stop went to the log: nothing more does
    private bool _completed;           // the node's events completed: the log emits nothing more
    private bool _fencedNow;           // the fold just counted this node gone
    private bool _backlogged;          // lines are being refused for want of room in the backlog (logged once)
    private bool _failing;             // appends fail (logged once until one succeeds)
    private bool _disposed;

    // Mirrors for the metrics, read on other threads.
    private long _lag;
    private int _liveNodes;
    private int _waiting;
    private bool _serving;
    private int _backlog;

    // Counters shared with the threads that post: what waits in the loop's queue.
    private long _inboxChars;
    private int _inboxPublications;

    /// <summary>Creates the log of <see cref="ChatServerOptions.Room"/>; nothing runs until <see cref="Order"/> is subscribed.</summary>
    /// <param name="options">The node's options: the room's name, and the settings it creates a room with.</param>
    /// <param name="store">The store; this log disposes it.</param>
    /// <param name="time">The source of time: ticks, deadlines, retries.</param>
    /// <param name="loop">Where the log runs, one action at a time (it must not run two at once).</param>
    /// <param name="logger">Where the log's messages go.</param>
    /// <param name="metrics">The room's instruments; null: none.</param>
    /// <param name="random">Epochs and sequence number starts; a seeded one in tests.</param>
    /// <param name="bounds">What may wait on this node, in memory; null: <see cref="Bounds.Default"/> (smaller ones in tests).</param>
    public SharedRoomLog(ChatServerOptions options, IRoomStore store, IScheduler time, IScheduler loop, ILogger logger, ChatMetrics? metrics, Random? random = null, Bounds? bounds = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options;
        _store = store;
        _time = time;
        _loop = loop;
        _logger = logger;
        _metrics = metrics;
        _random = random ?? Random.Shared;
        _bounds = bounds ?? Bounds.Default;
        _queue = new AppendQueue(_bounds.Waiting, _bounds.WaitingChars, BatchSize);
        _settings = RoomSettings.From(options);
        _where = options.Room;
        metrics?.WatchRoom(() => Volatile.Read(ref _lag), () => Volatile.Read(ref _liveNodes), () => Volatile.Read(ref _backlog), () => Volatile.Read(ref _waiting));
    }

    /// <summary>
    /// What may wait on a node for the room, in memory (issue 17, finding 8): past a bound, a line is refused (its sender
    /// told to slow down) or a publication dropped. <see cref="Default"/> in production; tests give smaller bounds, to
    /// reach them without allocating hundreds of megabytes.
    /// </summary>
    /// <param name="Waiting">Events that may wait for the store (the backlog): past it, a line is refused.</param>
    /// <param name="WaitingChars">
    /// Characters of the payloads waiting for the store: past it, a line is refused (a 4 KB line of escaped JSON can
    /// be 24 K characters, so the backlog is bounded in characters as well as in events).
    /// </param>
    /// <param name="InboxChars">
    /// Characters of the lines waiting for the loop to take them (the node takes lines faster than the loop hands them
    /// to the room): past it, a line is refused.
    /// </param>
    /// <param name="InboxPublications">
    /// Publications waiting for the loop: past it, one is dropped (a hint: the entries are read all the same).
    /// </param>
    internal sealed record Bounds(int Waiting, long WaitingChars, long InboxChars, int InboxPublications)
    {
        /// <summary>
        /// The production bounds: 65,536 events and 16 Mi characters waiting for the store; 16 Mi characters of lines
        /// and 10,000 publications waiting for the loop.
        /// </summary>
        public static Bounds Default { get; } = new(65_536, 16L << 20, 16L << 20, 10_000);
    }

    private enum Phase
    {
        Connecting, // no store yet
        Joining,    // asking the store for a place in the room (a new one, or after losing it or contact with it)
        CatchingUp, // joined: reading the log up to where it was when this node joined
        Live,       // caught up: appends flow, newcomers are served
        Rejoining,  // counted gone: asking for a new number, the room kept
    }

    /// <inheritdoc/>
    public Task Ready => _ready.Task;

    /// <inheritdoc/>
    public bool IsServing => Volatile.Read(ref _serving);

    // Whether newcomers can enter now: caught up, the store reached and taking this node's events, not stopping.
    private bool Serving => _phase == Phase.Live && _connected && !_queue.Failing && !_stopping;

    private DateTimeOffset Now => _time.Now;

    /// <inheritdoc/>
    public IObservable<RoomEntry> Order(IObservable<Admitted> events) => Observable.Create<RoomEntry>(observer =>
    {
        _observer = observer;
        _subscriptions.Add(_store.States.Subscribe(state => Post(() => OnState(state))));
        _subscriptions.Add(_store.Publications.Subscribe(OnPublicationPosted));
        _subscriptions.Add(_ticks);
        _subscriptions.Add(events.Subscribe(OnAdmittedPosted, e => Post(OnInputEnded), () => Post(OnInputEnded)));
        Post(Start);
        return Disposable.Create(() =>
        {
            _subscriptions.Dispose();
            Post(() => _disposed = true);
        });
    });

    /// <inheritdoc/>
    public void Folded(RoomEntry entry, ChatStep step)
    {
        // On the loop: the fold runs inside this log's emission.
        Volatile.Write(ref _liveNodes, step.State.Liveness.Nodes.Count);
        foreach (var gone in step.Reported.OfType<NodeGone>())
        {
            if (gone.Node == _node && _node != 0 && !gone.Stopped)
            {
                // Handled once this entry is folded: what follows it from the old number is another node's.
                _fencedNow = true;
            }
            else if (!gone.Stopped && _epoch is { } epoch)
            {
                // Out of the log for good: the store takes nothing more from it (every node asks; the first one does it).
                Run(_store.Retire(new RetireRequest(epoch, gone.Node)), _ => { }, _ => { });
            }
        }

        if (!entry.Local && entry.Node == _node && entry.Seq % SnapshotEvery == 0 && _phase == Phase.Live
            && !_stopping && !step.State.Stopping && _epoch is { } current)
        {
            var request = new SnapshotRequest(current, entry.Seq, RoomCodec.WriteSnapshot(step.State), Retention);
            Run(_store.Snapshot(request), _ => { }, _ => { });
        }
    }

    /// <summary>
    /// The log of a room on Redis (<see cref="ChatServerOptions.Redis"/>), running on an event loop of its own (one
    /// thread, named <c>rxchat-room</c>), disposed with it.
    /// </summary>
    public static SharedRoomLog OnRedis(ChatServerOptions options, IScheduler time, ILogger logger, ChatMetrics? metrics) =>
        new(options, new RedisRoomStore(options, time, logger), time, new EventLoopScheduler(run => new Thread(run) { Name = "rxchat-room", IsBackground = true }), logger, metrics)
        {
            _ownsLoop = true,
        };

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _subscriptions.Dispose();
        Post(() => _disposed = true);
        await _store.DisposeAsync().ConfigureAwait(false);
        if (_ownsLoop && _loop is IDisposable loop)
        {
            loop.Dispose();
        }
    }

    // How long the log keeps entries that a node may still need (one that missed publications, or that joined from
    // the snapshot before the latest): three node timeouts, at least ten seconds.
    private TimeSpan Retention => TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(10).Ticks, 3 * _settings.NodeTimeout.Ticks));

    // Runs an action on the loop; a bug in it must not stop the room.
    private void Post(Action action) => _loop.Schedule(() =>
    {
        if (_disposed)
        {
            return;
        }

        try
        {
            action();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            RoomLog.Failed(_logger, e);
        }

        // The mirror a health check reads: whatever the action changed, after it.
        Volatile.Write(ref _serving, Serving);
    });

    // Runs a store operation; its reply or failure comes back on the loop, unless a join (or a loss) happened since. An
    // operation that has not answered within a quarter of the node timeout has failed: the store may never answer one
    // that a dropped connection carried, and a node waiting for it would go quiet and be counted gone. (An append
    // sent again meanwhile is a duplicate if the first one lands after all.)
    private void Run<T>(IObservable<T> operation, Action<T> onReply, Action<Exception> onFailure, bool timed = true)
    {
        var generation = _generation;
        var timeout = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(200).Ticks, _settings.NodeTimeout.Ticks / 4));
        (timed ? operation.Take(1).Timeout(timeout, _time) : operation.Take(1)).Subscribe(
            reply => Post(() =>
            {
                // An answer is the store reached, whatever its last state said.
                _lastContact = Now;
                _connected = true;
                if (generation == _generation)
                {
                    onReply(reply);
                }
            }),
            error => Post(() =>
            {
                if (generation == _generation)
                {
                    onFailure(error);
                }
            }));
    }

    private void Start()
    {
        _lastContact = Now;
        Tick(_settings.NodeHeartbeat);
        // Connecting takes as long as it takes (the store retries until it is disposed).
        Run(_store.Connect(), _ => OnConnected(), _ => { }, timed: false);
    }

    // Ticks once a heartbeat of the room's settings.
    private void Tick(TimeSpan every) =>
        _ticks.Disposable = Observable.Interval(every, _time).Subscribe(_ => Post(OnTick));

    private void OnTick()
    {
        if (_completed)
        {
            return;
        }


        TurnAwayExpired();
        if (_phase is Phase.CatchingUp or Phase.Live or Phase.Rejoining && Now - _lastContact > _settings.NodeTimeout)
        {
            // Not a word from the store for the node timeout: the room has counted this node gone by now.
            CutOff();
            return;
        }

        if (_phase == Phase.Live && !_stopping && _queue.HeartbeatDue(Now, _settings.NodeHeartbeat))
        {
            Append(new NodeHeartbeat(), bounded: false);
        }

        Pump();
    }

    private void OnState(StoreState state)
    {
        var was = _connected;
        _connected = state.Connected;
        if (state.Primary is { } primary && _primary is { } before && primary != before)
        {
            // A failover followed: what the old primary's subscription missed is read.
            _metrics?.FailoversFollowed.Add(1);
            _sequencer.Hint(_sequencer.Expected);
        }

        _primary = state.Primary ?? _primary;
        if (state.Connected && !was)
        {
            // The store is back: what failed goes again now, and what was missed meanwhile is read.
            _queue.RetryNow();
            if (_phase is Phase.CatchingUp or Phase.Live)
            {
                _sequencer.Hint(_sequencer.Expected);
            }
        }

        Pump();
    }

    // This node's events, as its rules admit them (any thread; one at a time). A line past the loop's bound is refused
    // here: the node takes lines faster than it can hand them to the room.
    private void OnAdmittedPosted(Admitted admitted)
    {
        if (admitted is { Local: false, Event: LineReceived line })
        {
            var size = line.Line.Text.Length;
            if (Interlocked.Add(ref _inboxChars, size) > _bounds.InboxChars)
            {
                Interlocked.Add(ref _inboxChars, -size);

                // Under this node's number, as the room knows the connection (on the loop, where the number is read).
                Post(() => SlowDown(Stamp(line).Id));
                return;
            }

            Post(() =>
            {
                Interlocked.Add(ref _inboxChars, -size);
                Submit(admitted);
            });
            return;
        }

        Post(() => Submit(admitted));
    }

    // A publication (any thread): a hint, dropped when too many wait (the entries are read all the same).
    private void OnPublicationPosted(Publication publication)
    {
        if (Interlocked.Increment(ref _inboxPublications) > _bounds.InboxPublications)
        {
            Interlocked.Decrement(ref _inboxPublications);
            return;
        }

        Post(() =>
        {
            Interlocked.Decrement(ref _inboxPublications);
            OnPublication(publication);
        });
    }

    private void OnInputEnded()
    {
        // The node is done: its local events need wait for nothing more.
        foreach (var (_, e) in _pairing.Drop().Where(p => p.NodeSeq == 0))
        {
            EmitLocal(e);
        }

        _completed = true;
        _ticks.Dispose();
        _observer?.OnCompleted();
    }

    // An event of this node's: to the room (numbered, queued for the store, paired with its entry when it comes
    // back), or kept here, after this node's events before it.
    private void Submit(Admitted admitted)
    {
        if (_completed)
        {
            return;
        }

        // A connection's events carry this node's number: the room knows its connections by it.
        var e = Stamp(admitted.Event);
        if (admitted.Local)
        {
            if (e is ServerStopping)
            {
                Stop(e);
                return;
            }

            Local(e);
            return;
        }

        switch (e)
        {
            case ClientWired wired:
                Arrive(wired);
                return;
            case NodeStopped:
                _stopping = true;
                if (_phase == Phase.Live)
                {
                    Append(e, bounded: false, last: true);
                }

                return;
        }

        if (_refused.Contains(e.Id.Value) || (_lobby.Contains(e.Id) && Held(e)))
        {
            // A newcomer's, held until it is in the room, or of one turned away: it goes nowhere.
            return;
        }

        if (_phase is not (Phase.Live or Phase.CatchingUp) || _stopping)
        {
            // Not in the room now (joining, counted gone): the room closed this node's connections, and what they
            // send goes nowhere.
            return;
        }

        if (e is LineReceived && _queue.IsFull)
        {
            SlowDown(e.Id);
            return;
        }

        if (_slowedDown.Count > 0 && e is LineReceived or ClientLeft)
        {
            _slowedDown.Remove(e.Id);
        }

        Append(e, bounded: e is LineReceived);
    }

    private ChatEvent Stamp(ChatEvent e) => e.Id == default || e.Id.Node == _node ? e : e with { Id = e.Id with { Node = _node } };

    // A newcomer: into the room if the node serves, else into the lobby until it does (at most the node timeout).
    private void Arrive(ClientWired wired)
    {
        var deadline = Now + _settings.NodeTimeout;
        if (!Serving)
        {
            _lobby.Wait(wired, deadline);
            Volatile.Write(ref _waiting, _lobby.Count);
            return;
        }

        _lobby.Entering(wired, deadline);
        Append(wired, bounded: false);
    }

    // A held event of a newcomer's: its departure before it was submitted ends it here.
    private bool Held(ChatEvent e)
    {
        if (!_lobby.Hold(e, out var left))
        {
            return false;
        }

        if (left is not null && e is ClientLeft gone)
        {
            // Never in the room: its connection is closed here, and nobody hears of it.
            Local(left with { Refused = gone.Reason });
        }

        return true;
    }

    // The sender's line is refused for want of room in the backlog: it is told, once until a line of its is taken.
    private void SlowDown(ConnectionId id)
    {
        if (_slowedDown.Add(id))
        {
            Local(new LineRefused(id, ErrorKind.SlowDown, "error: slow down"));
        }

        if (!_backlogged)
        {
            RoomLog.Backlogged(_logger, _where, _queue.Count);
            _backlogged = true;
        }
    }

    // The node stops: its connections hear of it after what it sent before (or at once, when that cannot come back),
    // and the newcomers still waiting are turned away.
    private void Stop(ChatEvent stopping)
    {
        foreach (var (arrival, _) in _lobby.Clear())
        {
            Local(arrival with { Refused = DisconnectReason.Shutdown });
        }

        if (!Serving)
        {
            FlushLocals();
            EmitLocal(stopping);
            return;
        }

        Local(stopping);
    }

    // A local event, in this node's order.
    private void Local(ChatEvent e)
    {
        if (_pairing.Local(e))
        {
            EmitLocal(e);
        }
    }

    // This node's local events, now, without waiting for its room events before them (which will not come back).
    private void FlushLocals()
    {
        foreach (var (_, e) in _pairing.Drop().Where(p => p.NodeSeq == 0))
        {
            EmitLocal(e);
        }
    }

    private void EmitLocal(ChatEvent e) => Emit(new RoomEntry(_sequencer.Expected - 1, _lastTime, e, Local: true, _node));

    private void Emit(RoomEntry entry)
    {
        if (!_completed)
        {
            _observer?.OnNext(entry);
        }
    }

    // The newcomers past their deadline are turned away; one whose arrival is on its way enters the room unseen
    // (without an inbox here), and leaves right after.
    private void TurnAwayExpired()
    {
        foreach (var (arrival, submitted) in _lobby.Expired(Now))
        {
            if (submitted)
            {
                _refused.Add(arrival.Id.Value);
            }

            Local(arrival with { Refused = DisconnectReason.RoomUnavailable });
        }

        Volatile.Write(ref _waiting, _lobby.Count);
    }

    // Whatever changed: fold what can be folded, read what is missing, send what waits.
    private void Pump()
    {
        if (_completed)
        {
            return;
        }

        if (_phase is Phase.CatchingUp or Phase.Live)
        {
            FoldOwn();
            if (_sequencer.ShouldRead)
            {
                Read();
            }
        }

        if (_phase == Phase.Live)
        {
            if (Serving && _lobby.Count > 0)
            {
                foreach (var wired in _lobby.Admit())
                {
                    Append(wired, bounded: false);
                }
            }

            Send();
        }

        Volatile.Write(ref _lag, _sequencer.Lag);
        Volatile.Write(ref _backlog, _queue.Count);
    }
}
