using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging;
using Microsoft.Reactive.Testing;
using RxChat.Core;
using RxChat.Rooms;

namespace RxChat.Tests.Support;

/// <summary>
/// One room on several nodes in virtual time: each node is a real <see cref="Broadcaster"/> with a real
/// <see cref="SharedRoomLog"/>, all on one <see cref="TestScheduler"/> (time, writers and the logs' loops), sharing one
/// <see cref="ScriptedRedis"/> through connections of their own. A test adds nodes, connects clients, says lines,
/// injects faults and runs virtual time; then asserts on what each client received and what each node logged.
/// </summary>
internal sealed class VirtualRoom
{
    private int _seed = 1;

    public VirtualRoom(TimeSpan? nodeTimeout = null)
    {
        // The room's clock is Redis's, in Unix milliseconds: virtual time starts on a day of this century.
        Scheduler.AdvanceTo(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero).UtcTicks);
        Redis = new ScriptedRedis(Scheduler);
        NodeTimeout = nodeTimeout ?? TimeSpan.FromSeconds(2);
    }

    public TestScheduler Scheduler { get; } = new();

    public ScriptedRedis Redis { get; }

    public TimeSpan NodeTimeout { get; }

    /// <summary>The options a node gets unless the test gives its own.</summary>
    public ChatServerOptions Options => new()
    {
        Room = "test", Redis = "scripted", RateLimit = 0, IdleTimeout = TimeSpan.Zero, NodeTimeout = NodeTimeout, OutboxCapacity = 0,
    };

    /// <summary>Starts a node now; it joins the room as virtual time runs.</summary>
    /// <param name="options">The node's options; null: <see cref="Options"/>.</param>
    /// <param name="bounds">What may wait on the node (<see cref="SharedRoomLog.Bounds"/>); null: the production bounds.</param>
    /// <param name="random">The node's source of epochs and sequence number starts; null: one seeded by the node's rank.</param>
    public Node AddNode(ChatServerOptions? options = null, SharedRoomLog.Bounds? bounds = null, Random? random = null)
    {
        var seed = _seed++;
        var node = new Node(this, options ?? Options, seed, bounds, random ?? new Random(seed));
        Nodes.Add(node);
        return node;
    }

    /// <summary>Every node started, in order.</summary>
    public List<Node> Nodes { get; } = [];

    /// <summary>Every node's log, for a test's output.</summary>
    public string Logs => string.Join('\n', Nodes.SelectMany(n => n.Logs.Entries.Select(e => $"{n.Store.Name} [{e.EventId}] {e.Message}")));

    /// <summary>Runs virtual time for <paramref name="seconds"/>.</summary>
    public VirtualRoom Run(double seconds)
    {
        Scheduler.AdvanceBy(TimeSpan.FromSeconds(seconds).Ticks);
        return this;
    }

    /// <summary>One node: its broadcaster, its log, its connection to the store, its clients.</summary>
    internal sealed class Node
    {
        private readonly VirtualRoom _room;
        private readonly Subject<ClientArrived> _arrivals = new();
        private readonly Subject<LineReceived> _lines = new();
        private readonly Subject<ClientLeft> _departures = new();
        private readonly Subject<Unit> _shutdown = new();
        private long _lastId;

        public Node(VirtualRoom room, ChatServerOptions options, int seed, SharedRoomLog.Bounds? bounds, Random random)
        {
            _room = room;
            Store = room.Redis.Connect($"node{seed}");
            Loop = new Loop(room.Scheduler);
            Log = new SharedRoomLog(options, Store, room.Scheduler, Loop, Logs, metrics: null, random, bounds);
            Events = room.Scheduler.CreateObserver<ServerEvent>();
            new Broadcaster(options, room.Scheduler, room.Scheduler, new Watched(Log, this)).Run(_arrivals, _lines, _departures, _shutdown).Subscribe(Events);
        }

        public ScriptedRedis.Connection Store { get; }

        public SharedRoomLog Log { get; }

        /// <summary>The loop the node's log runs on: a test makes it busy.</summary>
        public Loop Loop { get; }

        public RecordingLogger Logs { get; } = new(LogLevel.Debug);

        public ITestableObserver<ServerEvent> Events { get; }

        /// <summary>The node's fold state after the last entry it folded.</summary>
        public ChatState? State { get; private set; }

        /// <summary>The room as this node shows it: names in arrival order and the history's lines.</summary>
        public string Room => State is null ? "" : $"[{string.Join(", ", State.RosterNames)}] [{string.Join(" | ", State.History.Select(h => h.Text))}]";

        // The log, watched: the fold's state after each entry.
        private sealed class Watched(IRoomLog log, Node node) : IRoomLog
        {
            public Task Ready => log.Ready;

            public bool IsServing => log.IsServing;

            public IObservable<RoomEntry> Order(IObservable<Admitted> events) => log.Order(events);

            public void Folded(RoomEntry entry, ChatStep step)
            {
                node.State = step.State;
                log.Folded(entry, step);
            }
        }

        /// <summary>A new connection (not yet named).</summary>
        public Client Connect()
        {
            var client = new Client(this, new ConnectionId(++_lastId), _room.Scheduler.CreateObserver<OutgoingLine>());
            _arrivals.OnNext(new ClientArrived(client.Id, $"127.0.0.1:{5000 + _lastId}", client.Writer));
            return client;
        }

        /// <summary>A new connection that answers the prompt with <paramref name="name"/> at once.</summary>
        public Client Enter(string name)
        {
            var client = Connect();
            client.Say(name);
            return client;
        }

        /// <summary>The node stops gracefully (SIGTERM).</summary>
        public void Stop() => _shutdown.OnNext(Unit.Default);

        internal void Say(Client client, string line) => _lines.OnNext(new LineReceived(client.Id, line));

        internal void Leave(Client client, DisconnectReason reason) => _departures.OnNext(new ClientLeft(client.Id, reason));
    }

    /// <summary>
    /// A node's loop: what is posted to it runs on the room's scheduler, unless the loop is <see cref="Busy"/> (an event
    /// loop stuck in a long action); then it waits, in order, until the loop is free again. <see cref="MostWaiting"/>
    /// is the most that waited at once: what the log's inbox held.
    /// </summary>
    internal sealed class Loop(IScheduler scheduler) : IScheduler
    {
        private readonly Queue<Action> _waiting = new();
        private bool _busy;

        public DateTimeOffset Now => scheduler.Now;

        /// <summary>The loop is busy: what is posted waits. Set to false, what waited runs, in order.</summary>
        public bool Busy
        {
            get => _busy;
            set
            {
                _busy = value;
                while (!_busy && _waiting.TryDequeue(out var action))
                {
                    scheduler.Schedule(action);
                }
            }
        }

        /// <summary>The most actions that waited at once while the loop was busy.</summary>
        public int MostWaiting { get; private set; }

        public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
        {
            if (!_busy)
            {
                return scheduler.Schedule(state, (_, s) => action(this, s));
            }

            _waiting.Enqueue(() => action(this, state));
            MostWaiting = Math.Max(MostWaiting, _waiting.Count);
            return Disposable.Empty;
        }

        public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action) =>
            scheduler.Schedule(state, dueTime, (_, s) => Schedule(s, action));

        public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
            scheduler.Schedule(state, dueTime, (_, s) => Schedule(s, action));
    }

    /// <summary>One connection on a node, with what it received.</summary>
    internal sealed class Client(Node node, ConnectionId id, ITestableObserver<OutgoingLine> writer)
    {
        public ConnectionId Id { get; } = id;

        public ITestableObserver<OutgoingLine> Writer { get; } = writer;

        /// <summary>Every line received, and <c>(closed)</c> once the server closed the connection.</summary>
        public IReadOnlyList<string> Received => [.. Writer.Messages.Select(m => m.Value.Kind == NotificationKind.OnNext ? m.Value.Value.Text : "(closed)")];

        /// <summary>The chat lines received (<c>NAME: TEXT</c>).</summary>
        public IReadOnlyList<string> Chat => [.. Received.Where(l => l.Contains(": ", StringComparison.Ordinal) && !l.StartsWith("error: ", StringComparison.Ordinal) && !l.StartsWith("Disconnected: ", StringComparison.Ordinal) && !l.StartsWith("Current clients: ", StringComparison.Ordinal))];

        public bool Closed => Writer.Messages.Any(m => m.Value.Kind == NotificationKind.OnCompleted);

        public Client Say(string line)
        {
            node.Say(this, line);
            return this;
        }

        public void Leave(DisconnectReason reason = DisconnectReason.EndOfStream) => node.Leave(this, reason);
    }
}
