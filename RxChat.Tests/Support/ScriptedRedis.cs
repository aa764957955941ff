using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using RxChat.Core;
using RxChat.Rooms;

namespace RxChat.Tests.Support;

/// <summary>
/// The room's store as Redis keeps it, in memory, on a <see cref="TestScheduler"/>: the same rules as
/// <see cref="RedisRoomStore"/>'s scripts (RoomStoreContractTests runs one suite on both), with faults a test injects at
/// exact points. Each node connects through a <see cref="Connection"/> of its own (<see cref="Connect"/>), which can be
/// cut off, lose its replies or its publications, or fail its reads, while the others go on. Operations take effect
/// when the store receives them (at once) and answer after <see cref="Latency"/>.
/// </summary>
internal sealed class ScriptedRedis(TestScheduler scheduler)
{
    private readonly List<Connection> _connections = [];
    private Data _data = new();

    /// <summary>How long an answer takes to come back (virtual time); publications too.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>How long a node waits for an answer before its operation fails (StackExchange.Redis's async timeout).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Redis is frozen: nothing is done and nothing answers until <see cref="Thaw"/>; operations meanwhile are done then.</summary>
    public bool Frozen { get; private set; }

    /// <summary>The room's epoch; null when there is no room.</summary>
    public string? Epoch => _data.Epoch;

    /// <summary>The room's newest entry.</summary>
    public long Newest => _data.Seq;

    /// <summary>The entries the log holds, in order (junk included).</summary>
    public IReadOnlyList<StoredEntry> Log => [.. _data.Log.Values];

    /// <summary>The snapshot kept: its entry and state (null state: none).</summary>
    public (string? Epoch, long Seq, string? State) Snapshot => _data.Snapshot;

    /// <summary>Every operation done, in order, by kind (join, append, read, snapshot, retire), for assertions.</summary>
    public List<string> Operations { get; } = [];

    /// <summary>A connection for one node.</summary>
    public Connection Connect(string name)
    {
        var connection = new Connection(this, name);
        _connections.Add(connection);
        return connection;
    }

    /// <summary>The store as it is now, to <see cref="Restore"/> later (a replica that lagged, an older RDB).</summary>
    public object Save() => _data.Copy();

    /// <summary>
    /// The store goes back to what <see cref="Save"/> returned: a failover to a replica that lagged, or a restart from an
    /// older dump. Connections see nothing of it but the data.
    /// </summary>
    public void Restore(object saved) => _data = ((Data)saved).Copy();

    /// <summary>Redis restarted without its data (no persistence).</summary>
    public void Flush() => _data = new Data { Nodes = 0 };

    /// <summary>Deletes the room's meta key (<c>DEL {ROOM}:meta</c>).</summary>
    public void DeleteMeta()
    {
        _data.Epoch = null;
        _data.Seq = 0;
        _data.Time = 0;
        _data.Members.Clear();
        _data.Settings = null;
    }

    /// <summary>An entry written behind the room's back (<c>XADD</c> by someone else) at <paramref name="seq"/>.</summary>
    public void AddJunk(long seq, string payload = "junk") =>
        _data.Log[seq] = new StoredEntry(seq, default, payload, "junk: not one the room wrote");

    /// <summary>The snapshot is gone (evicted, or deleted).</summary>
    public void DropSnapshot() => _data.Snapshot = default;

    /// <summary>
    /// An entry appended as a member would append it (the room wrote it), with any payload: another version's event,
    /// or one that cannot be read.
    /// </summary>
    public void AppendRaw(long node, string payload)
    {
        var ms = Now(_data.Time);
        Add(node, 0, ms, payload);
        _data.Time = ms;
        Published(_data.Seq, 1);
    }

    /// <summary>The members (nodes that may append) and their marks, as the meta hash holds them.</summary>
    public IReadOnlyCollection<long> Members => _data.Members.Keys;

    /// <summary>Redis stops answering (SIGSTOP): what arrives meanwhile is done when it thaws, in order.</summary>
    public void Freeze() => Frozen = true;

    /// <summary>Redis goes on (SIGCONT).</summary>
    public void Thaw()
    {
        Frozen = false;
        var held = _held.ToList();
        _held.Clear();
        foreach (var action in held)
        {
            action();
        }
    }

    /// <summary>A publication sent by someone else (forged, or from another room).</summary>
    public void Publish(Publication publication)
    {
        foreach (var connection in _connections)
        {
            connection.Deliver(publication);
        }
    }

    private readonly List<Action> _held = [];

    // Runs the operation now, or when Redis thaws.
    private void Do(Action action)
    {
        if (Frozen)
        {
            _held.Add(action);
        }
        else
        {
            action();
        }
    }

    private long Now(long before) => Math.Max(scheduler.Now.ToUnixTimeMilliseconds(), before);

    private bool Holds(Guard guard, out string? why, out bool trimmed)
    {
        why = null;
        trimmed = false;
        if (guard.Seq == 0)
        {
            return true;
        }

        if (_data.Seq < guard.Seq)
        {
            why = $"its newest entry is {_data.Seq}, this node knows entry {guard.Seq}";
            return false;
        }

        if (!_data.Log.TryGetValue(guard.Seq, out var entry))
        {
            trimmed = true;
            return true;
        }

        if (entry.Id != guard.Entry)
        {
            why = $"entry {guard.Seq} is {entry.Id}, this node knows it as {guard.Entry}";
            return false;
        }

        return true;
    }

    private void Replace(string epoch)
    {
        var settings = _data.Settings;
        var nodes = _data.Nodes;
        _data = new Data { Epoch = epoch, Settings = settings, Nodes = nodes };
    }

    private int Clean()
    {
        var junk = _data.Log.Keys.Where(k => k > _data.Seq).ToList();
        foreach (var k in junk)
        {
            _data.Log.Remove(k);
        }

        return junk.Count;
    }

    private void Add(long node, long nodeSeq, long ms, string payload)
    {
        _data.Seq++;
        _data.Log[_data.Seq] = new StoredEntry(_data.Seq, new EntryId(node, nodeSeq, ms), payload);
    }

    private void Published(long start, long count)
    {
        var publication = new Publication(start, count, _data.Epoch!);
        foreach (var connection in _connections)
        {
            connection.Deliver(publication);
        }
    }

    private JoinReply Join(JoinRequest request)
    {
        Operations.Add("join");
        var created = false;
        if (_data.Epoch is null)
        {
            var nodes = _data.Nodes;
            _data = new Data { Epoch = request.NewEpoch, Settings = request.Settings, Nodes = nodes };
            created = true;
        }

        var node = ++_data.Nodes;
        while (_data.Members.ContainsKey(node))
        {
            node = ++_data.Nodes;
        }

        _data.Members[node] = (request.FirstNodeSeq, request.FirstNodeSeq - 1);
        var (snapshotEpoch, snapshotSeq, state) = _data.Snapshot;
        var hasSnapshot = snapshotEpoch == _data.Epoch && state is not null;
        return new JoinReply(_data.Epoch!, node, _data.Settings!, _data.Seq, hasSnapshot ? snapshotSeq : 0, hasSnapshot ? state : null, created);
    }

    private AppendReply Append(AppendRequest request)
    {
        Operations.Add("append");
        if (_data.Epoch != request.Epoch)
        {
            return new AppendReply(StoreStatus.Gone);
        }

        if (!Holds(request.Guard, out var why, out var trimmed))
        {
            Replace(request.NewEpoch);
            return new AppendReply(StoreStatus.Lost) { Why = why };
        }

        if (trimmed)
        {
            return new AppendReply(StoreStatus.Trimmed);
        }

        if (!_data.Members.TryGetValue(request.Node, out var member))
        {
            return new AppendReply(StoreStatus.Retired);
        }

        if (member.Incarnation != request.Incarnation)
        {
            Replace(request.NewEpoch);
            return new AppendReply(StoreStatus.Lost) { Why = $"another node holds number {request.Node}" };
        }

        if (request.FirstNodeSeq <= member.Last)
        {
            return new AppendReply(StoreStatus.Duplicate);
        }

        var removed = Clean();
        var ms = Now(_data.Time);
        var start = _data.Seq + 1;
        for (var i = 0; i < request.Payloads.Count; i++)
        {
            Add(request.Node, request.FirstNodeSeq + i, ms, request.Payloads[i]);
        }

        _data.Time = ms;
        _data.Members[request.Node] = (member.Incarnation, request.FirstNodeSeq + request.Payloads.Count - 1);
        if (request.Last)
        {
            _data.Members.Remove(request.Node);
        }

        Published(start, request.Payloads.Count);
        return new AppendReply(StoreStatus.Done, start, ms, removed);
    }

    private ReadReply Read(ReadRequest request)
    {
        Operations.Add("read");
        if (_data.Epoch != request.Epoch)
        {
            return new ReadReply(StoreStatus.Gone, 0, []);
        }

        if (!Holds(request.Guard, out var why, out var trimmed))
        {
            Replace(request.NewEpoch);
            return new ReadReply(StoreStatus.Lost, 0, []) { Why = why };
        }

        if (trimmed)
        {
            return new ReadReply(StoreStatus.Trimmed, _data.Seq, []);
        }

        var to = Math.Min(_data.Seq, request.From + request.Count - 1);
        return new ReadReply(StoreStatus.Done, _data.Seq, [.. _data.Log.Where(e => e.Key >= request.From && e.Key <= to).Select(e => e.Value)]);
    }

    private bool KeepSnapshot(SnapshotRequest request)
    {
        Operations.Add("snapshot");
        if (_data.Epoch != request.Epoch)
        {
            return false;
        }

        var previous = _data.Snapshot.Epoch == request.Epoch ? _data.Snapshot.Seq : 0;
        if (previous >= request.Seq)
        {
            return false;
        }

        _data.Snapshot = (request.Epoch, request.Seq, request.State);
        if (previous == 0)
        {
            return true;
        }

        // What follows the snapshot before stays, and so does what is younger than the retention.
        var cutoff = Now(0) - (long)request.Retention.TotalMilliseconds;
        var trim = _data.Log.Where(e => e.Key <= previous && e.Value.Id.Millis <= cutoff).Select(e => e.Key).ToList();
        foreach (var k in trim)
        {
            _data.Log.Remove(k);
        }

        return true;
    }

    private bool Retire(RetireRequest request)
    {
        Operations.Add("retire");
        if (_data.Epoch != request.Epoch || !_data.Members.Remove(request.Node))
        {
            return false;
        }

        Clean();
        var ms = Now(_data.Time);
        Add(0, 0, ms, RoomCodec.Write(new NodeRetired(request.Node))!);
        _data.Time = ms;
        Published(_data.Seq, 1);
        return true;
    }

    private sealed class Data
    {
        public string? Epoch { get; set; }

        public long Seq { get; set; }

        public long Time { get; set; }

        public long Nodes { get; set; }

        public RoomSettings? Settings { get; set; }

        public Dictionary<long, (long Incarnation, long Last)> Members { get; init; } = [];

        public SortedDictionary<long, StoredEntry> Log { get; init; } = [];

        public (string? Epoch, long Seq, string? State) Snapshot { get; set; }

        public Data Copy() => new()
        {
            Epoch = Epoch,
            Seq = Seq,
            Time = Time,
            Nodes = Nodes,
            Settings = Settings,
            Members = new(Members),
            Log = new(Log),
            Snapshot = Snapshot,
        };
    }

    /// <summary>One node's connection to the store, with its own faults.</summary>
    internal sealed class Connection(ScriptedRedis redis, string name) : IRoomStore
    {
        private readonly BehaviorSubject<StoreState> _states = new(new StoreState(Connected: false));
        private readonly Subject<Publication> _publications = new();
        private bool _connected;
        private bool _cut;

        /// <summary>The node's name, for the test.</summary>
        public string Name => name;

        /// <summary>Replies to this node's operations are lost (the operation is done; the node hears a failure).</summary>
        public Func<string, bool> LoseReply { get; set; } = _ => false;

        /// <summary>This node's subscription drops every publication.</summary>
        public bool DropPublications { get; set; }

        /// <summary>This node's appends are lost on the way (they fail after the timeout); its reads still work.</summary>
        public bool DropAppends { get; set; }

        /// <summary>This node's reads reach the store this much later (a slow path): they are done then, and answered.</summary>
        public TimeSpan ReadDelay { get; set; }

        /// <summary>The next reads of this node fail, this many.</summary>
        public int FailReads { get; set; }

        /// <summary>Holds this node's next append: done, but its answer waits until <see cref="Release"/>.</summary>
        public bool HoldAppends { get; set; }

        private readonly List<Action> _heldReplies = [];

        /// <summary>This node is cut off from the store (a network path gone): nothing it sends arrives.</summary>
        public bool Cut
        {
            get => _cut;
            set
            {
                _cut = value;
                if (_connected)
                {
                    _states.OnNext(new StoreState(Connected: !value));
                }
            }
        }

        public IObservable<StoreState> States => _states;

        public IObservable<Publication> Publications => _publications;

        /// <summary>Answers held by <see cref="HoldAppends"/> come back now.</summary>
        public void Release()
        {
            HoldAppends = false;
            var held = _heldReplies.ToList();
            _heldReplies.Clear();
            foreach (var reply in held)
            {
                reply();
            }
        }

        public IObservable<Unit> Connect() => Observable.Defer(() =>
        {
            _connected = true;
            _states.OnNext(new StoreState(Connected: !_cut));
            return Observable.Return(Unit.Default);
        });

        public IObservable<JoinReply> Join(JoinRequest request) => Operation("join", () => redis.Join(request));

        public IObservable<AppendReply> Append(AppendRequest request) => UnderWay(DropAppends
            ? Observable.Throw<AppendReply>(new RoomStoreException($"{name}: append lost on the way (scripted)")).DelaySubscription(redis.Timeout, redis.Scheduler)
            : Operation("append", () => redis.Append(request), hold: HoldAppends));

        /// <summary>This node's appends under way: sent, and neither answered nor given up by the node.</summary>
        public int AppendsUnderWay { get; private set; }

        public IObservable<ReadReply> Read(ReadRequest request)
        {
            if (FailReads > 0)
            {
                FailReads--;
                return Observable.Throw<ReadReply>(new RoomStoreException("read failed (scripted)")).DelaySubscription(redis.Latency, redis.Scheduler);
            }

            return ReadDelay > TimeSpan.Zero
                ? Operation("read", () => redis.Read(request)).DelaySubscription(ReadDelay, redis.Scheduler)
                : Operation("read", () => redis.Read(request));
        }

        public IObservable<bool> Snapshot(SnapshotRequest request) => Operation("snapshot", () => redis.KeepSnapshot(request));

        public IObservable<bool> Retire(RetireRequest request) => Operation("retire", () => redis.Retire(request));

        public ValueTask DisposeAsync()
        {
            _states.OnCompleted();
            _publications.OnCompleted();
            return ValueTask.CompletedTask;
        }

        // Counts the operation under way from its subscription to its answer, or until the node gives it up.
        private IObservable<T> UnderWay<T>(IObservable<T> operation) => Observable.Create<T>(observer =>
        {
            AppendsUnderWay++;
            var over = false;
            void End()
            {
                if (!over)
                {
                    over = true;
                    AppendsUnderWay--;
                }
            }

            var subscription = operation.Subscribe(
                reply =>
                {
                    End();
                    observer.OnNext(reply);
                },
                error =>
                {
                    End();
                    observer.OnError(error);
                },
                () =>
                {
                    End();
                    observer.OnCompleted();
                });
            return System.Reactive.Disposables.Disposable.Create(() =>
            {
                End();
                subscription.Dispose();
            });
        });

        internal void Deliver(Publication publication)
        {
            if (_connected && !_cut && !DropPublications)
            {
                redis.Scheduler.Schedule(redis.Latency, () => _publications.OnNext(publication));
            }
        }

        // The operation reaches the store now (unless cut off), is done there (when Redis is not frozen), and its answer
        // comes back after the latency: lost or held if the test says so.
        private IObservable<T> Operation<T>(string kind, Func<T> run, bool hold = false) => Observable.Create<T>(observer =>
        {
            if (_cut)
            {
                return redis.Scheduler.Schedule(redis.Latency, () => observer.OnError(new RoomStoreException($"{name}: cut off from the store (scripted)")));
            }

            var lose = LoseReply(kind);
            var done = false;
            var timeout = redis.Scheduler.Schedule(redis.Timeout, () =>
            {
                if (!done)
                {
                    done = true;
                    observer.OnError(new RoomStoreException($"{name}: no answer to {kind} within {redis.Timeout} (scripted)"));
                }
            });
            redis.Do(() =>
            {
                var result = run();
                void Answer() => redis.Scheduler.Schedule(redis.Latency, () =>
                {
                    if (done)
                    {
                        return;
                    }

                    done = true;
                    timeout.Dispose();
                    if (lose)
                    {
                        observer.OnError(new RoomStoreException($"{name}: the answer to {kind} was lost (scripted)"));
                    }
                    else
                    {
                        observer.OnNext(result);
                        observer.OnCompleted();
                    }
                });

                if (hold)
                {
                    _heldReplies.Add(Answer);
                }
                else
                {
                    Answer();
                }
            });
            return System.Reactive.Disposables.Disposable.Empty;
        });
    }

    private TestScheduler Scheduler => scheduler;
}
