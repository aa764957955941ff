using System.Reactive;
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
    public Node AddNode(ChatServerOptions? options = null)
    {
        var node = new Node(this, options ?? Options, _seed++);
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

        public Node(VirtualRoom room, ChatServerOptions options, int seed)
        {
            _room = room;
            Store = room.Redis.Connect($"node{seed}");
            Log = new SharedRoomLog(options, Store, room.Scheduler, room.Scheduler, Logs, metrics: null, new Random(seed));
            Events = room.Scheduler.CreateObserver<ServerEvent>();
            new Broadcaster(options, room.Scheduler, room.Scheduler, new Watched(Log, this)).Run(_arrivals, _lines, _departures, _shutdown).Subscribe(Events);
        }

        public ScriptedRedis.Connection Store { get; }

        public SharedRoomLog Log { get; }

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
