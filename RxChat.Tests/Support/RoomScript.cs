using System.Reactive;
using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using RxChat.Core;

namespace RxChat.Tests.Support;

/// <summary>
/// One room's log, scripted: what every node's connections do, in one order, each step at its own virtual time.
/// <see cref="Run"/> plays it on one node (a replica of the fold on a <see cref="TestScheduler"/>): that node's
/// connections come in as its own arrivals, lines and departures (through its own rules, as on a real node), the
/// other nodes' steps come from the log as they would from Redis. Every replica sees the same entries in the same
/// order. Times are in virtual seconds.
/// </summary>
internal sealed class RoomScript
{
    private readonly List<Step> _steps = [];

    public static ConnectionId Id(long node, long connection) => new(connection) { Node = node };

    public RoomScript Arrive(double seconds, long node, long connection, string remoteAddress = "127.0.0.1:5000") =>
        Add(new(seconds, node, connection, Kind.Arrive, remoteAddress));

    public RoomScript Line(double seconds, long node, long connection, string text) => Add(new(seconds, node, connection, Kind.Line, text));

    public RoomScript Leave(double seconds, long node, long connection, DisconnectReason reason = DisconnectReason.EndOfStream) =>
        Add(new(seconds, node, connection, Kind.Leave, Reason: reason));

    /// <summary>A node's heartbeat: the log's own entry for a node that is alive.</summary>
    public RoomScript Heartbeat(double seconds, long node) => Add(new(seconds, node, 0, Kind.Heartbeat));

    /// <summary>A node that stops gracefully (another node's view: its stop entry).</summary>
    public RoomScript Stopped(double seconds, long node) => Add(new(seconds, node, 0, Kind.Stopped));

    /// <summary>Plays the script on node <paramref name="self"/> and runs it to the end.</summary>
    public Replica Run(long self, ChatServerOptions? options = null)
    {
        var replica = new Replica(self, options ?? new ChatServerOptions { RateLimit = 0 });
        replica.Play(_steps);
        return replica;
    }

    private RoomScript Add(Step step)
    {
        _steps.Add(step);
        return this;
    }

    internal enum Kind
    {
        Arrive,
        Line,
        Leave,
        Heartbeat,
        Stopped,
    }

    internal sealed record Step(double Seconds, long Node, long Connection, Kind Kind, string? Text = null, DisconnectReason Reason = default);

    /// <summary>One node's replica of the fold, with a recording writer for each of its own connections.</summary>
    internal sealed class Replica(long self, ChatServerOptions options)
    {
        private readonly Dictionary<long, ITestableObserver<OutgoingLine>> _writers = [];
        private readonly ScriptedLog _log = new();

        public TestScheduler Scheduler { get; } = new();

        public ITestableObserver<ServerEvent> Events { get; private set; } = null!;

        /// <summary>The fold's state after the last entry.</summary>
        public ChatState State => _log.Last!.State;

        /// <summary>The room's part of the state, which every replica must agree on.</summary>
        public string Room =>
            $"names [{string.Join(", ", State.RosterNames)}]; connections [{string.Join(", ", State.Connections.Keys.OrderBy(k => k.Node).ThenBy(k => k.Value))}]; " +
            $"history [{string.Join(" | ", State.History.Select(h => $"{h.At.Ticks} {h.Text}"))}]; nodes [{string.Join(", ", State.Liveness.Nodes.Keys)}]; " +
            $"fenced [{string.Join(", ", State.Liveness.Fenced.Order())}]; next {State.NextArrival}";

        public IReadOnlyList<string> Received(long connection) => _writers[connection].Messages.Select(m => m.Value.Kind switch
        {
            NotificationKind.OnNext => m.Value.Value.Text,
            NotificationKind.OnCompleted => "(closed)",
            _ => "(error)",
        }).ToList();

        public bool HasWriter(long connection) => _writers.ContainsKey(connection);

        public void Play(IReadOnlyList<Step> steps)
        {
            var arrivals = new List<Recorded<Notification<ClientArrived>>>();
            var lines = new List<Recorded<Notification<LineReceived>>>();
            var departures = new List<Recorded<Notification<ClientLeft>>>();
            var entries = new List<Recorded<Notification<(long Node, ChatEvent Event)>>>();
            foreach (var s in steps)
            {
                var at = VirtualChat.At(s.Seconds);
                var id = Id(s.Node, s.Connection);
                var own = s.Node == self;
                switch (s.Kind)
                {
                    case Kind.Arrive when own:
                        _writers[s.Connection] = Scheduler.CreateObserver<OutgoingLine>();
                        arrivals.Add(ReactiveTest.OnNext(at, new ClientArrived(id, s.Text!, _writers[s.Connection])));
                        break;
                    case Kind.Arrive:
                        entries.Add(ReactiveTest.OnNext(at, (s.Node, (ChatEvent)new ClientConnected(id, s.Text!))));
                        break;
                    case Kind.Line when own:
                        lines.Add(ReactiveTest.OnNext(at, new LineReceived(id, s.Text!)));
                        break;
                    case Kind.Line:
                        entries.Add(ReactiveTest.OnNext(at, (s.Node, (ChatEvent)new LineReceived(id, s.Text!))));
                        break;
                    case Kind.Leave when own:
                        departures.Add(ReactiveTest.OnNext(at, new ClientLeft(id, s.Reason)));
                        break;
                    case Kind.Leave:
                        entries.Add(ReactiveTest.OnNext(at, (s.Node, (ChatEvent)new ClientLeft(id, s.Reason))));
                        break;
                    case Kind.Heartbeat:
                        entries.Add(ReactiveTest.OnNext(at, (s.Node, (ChatEvent)new NodeHeartbeat())));
                        break;
                    case Kind.Stopped:
                        entries.Add(ReactiveTest.OnNext(at, (s.Node, (ChatEvent)new NodeStopped())));
                        break;
                }
            }

            _log.Scheduler = Scheduler;
            _log.Self = self;
            _log.Others = Scheduler.CreateHotObservable(entries.ToArray());
            Events = Scheduler.CreateObserver<ServerEvent>();
            new Broadcaster(options, Scheduler, Scheduler, _log).Run(
                Scheduler.CreateHotObservable(arrivals.ToArray()),
                Scheduler.CreateHotObservable(lines.ToArray()),
                Scheduler.CreateHotObservable(departures.ToArray())).Subscribe(Events);
            Scheduler.Start();
        }
    }

    /// <summary>The log as Redis would deliver it: this node's events and the others' entries, in time order.</summary>
    private sealed class ScriptedLog : IRoomLog
    {
        public TestScheduler Scheduler { get; set; } = null!;

        /// <summary>The other nodes' entries, each with its node.</summary>
        public IObservable<(long Node, ChatEvent Event)> Others { get; set; } = Observable.Empty<(long, ChatEvent)>();

        /// <summary>This node's number: its own entries are its.</summary>
        public long Self { get; set; }

        public ChatStep? Last { get; private set; }

        public Task Ready => Task.CompletedTask;

        public bool IsServing => true;

        public IObservable<RoomEntry> Order(IObservable<Admitted> events) =>
            Observable.Merge(events.Select(a => (Node: Self, Admitted: a)), Others.Select(o => (o.Node, Admitted: new Admitted(o.Event, Local: false))))
                .Select((a, i) => new RoomEntry(i + 1, Scheduler.Now, a.Admitted.Event, a.Admitted.Local, a.Node));

        public void Folded(RoomEntry entry, ChatStep step) => Last = step;
    }
}
