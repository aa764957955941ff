using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace RxChat.Core;

/// <summary>
/// The chat core, the book's <c>broadcaster</c> in Rx. This node's arrivals, lines and departures are merged into
/// one stream; a <c>Scan</c> applies the node's own limits (<c>NodeRules.Admit</c>); the room's log puts what they
/// admit in the room's one order (on one node the merge's own order; across nodes a Redis stream that every node
/// reads); a second <c>Scan</c> folds the room's entries into the room's state (<c>ChatRules.Apply</c>, pure); and
/// what each step decides to send goes out through one broadcast subject, or for one connection's lines straight to
/// its inbox. Each connection's writer follows that through <c>ObserveOn</c> on the writer scheduler, so every client
/// sees one total order. No lock is taken here: <c>Merge</c> serialises the node's rules, and the log emits one
/// entry at a time to the fold.
/// </summary>
/// <remarks>
/// Data flow: socket -> framer -> Merge -> Scan(node rules) -> room log -> Scan(fold) -> dispatch -> ObserveOn ->
/// outbox -> socket.
/// </remarks>
public sealed class Broadcaster
{
    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;
    private readonly IScheduler _writerScheduler;
    private readonly IRoomLog _log;

    /// <summary>Creates a broadcaster; nothing runs until <see cref="Run(IObservable{IChatConnection}, IObservable{System.Reactive.Unit})"/> is subscribed.</summary>
    /// <param name="options">The limits to enforce.</param>
    /// <param name="scheduler">The source of time (idle timeouts, send rates); a <c>TestScheduler</c> in tests.</param>
    /// <param name="writerScheduler">
    /// Where writers receive their lines. It must not start a thread per subscription (see
    /// <see cref="ChatSchedulers.Writers"/>); one <c>ObserveOn</c> hop on it lies between a decision and a writer.
    /// </param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public Broadcaster(ChatServerOptions options, IScheduler scheduler, IScheduler writerScheduler)
        : this(options, scheduler, writerScheduler, new InProcessRoomLog(scheduler ?? throw new ArgumentNullException(nameof(scheduler))))
    {
    }

    /// <summary>Creates a broadcaster whose events are put in order by <paramref name="log"/>, the room's log.</summary>
    internal Broadcaster(ChatServerOptions options, IScheduler scheduler, IScheduler writerScheduler, IRoomLog log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(scheduler);
        ArgumentNullException.ThrowIfNull(writerScheduler);
        ArgumentNullException.ThrowIfNull(log);
        _options = options;
        _scheduler = scheduler;
        _writerScheduler = writerScheduler;
        _log = log;
    }

    /// <summary>
    /// Runs the chat over connections from any transport: each connection's arrival, lines and departure are
    /// split into the three streams of <see cref="Run(IObservable{ClientArrived}, IObservable{LineReceived}, IObservable{ClientLeft}, IObservable{Unit})"/>.
    /// A connection departs when its lines complete (<see cref="DisconnectReason.EndOfStream"/>), fail
    /// (<see cref="DisconnectReason.Reset"/>, or the reason of a <see cref="ConnectionClosedException"/>), or
    /// when it sends no line for <see cref="ChatServerOptions.IdleTimeout"/> on the time scheduler
    /// (<see cref="DisconnectReason.Idle"/>, PROTOCOL.md, Leaving; the book's exercise 8.13).
    /// </summary>
    /// <param name="connections">The accepted connections; each is subscribed once.</param>
    /// <param name="shutdown">
    /// Signals shutdown (PROTOCOL.md, Shutdown) with its first value or its completion: every connection then
    /// receives <c>Server shutting down</c> and is closed, and no more connections are taken. Null: never.
    /// </param>
    /// <returns>
    /// As the three-stream overload; after shutdown it completes once every connection's lines have ended.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="connections"/> is null.</exception>
    public IObservable<ServerEvent> Run(IObservable<IChatConnection> connections, IObservable<Unit>? shutdown = null)
    {
        ArgumentNullException.ThrowIfNull(connections);
        var stop = (shutdown ?? Observable.Never<Unit>()).Materialize().Take(1).Replay(1).RefCount();
        var events = connections.TakeUntil(stop).SelectMany(EventsOf);

        // One source, three typed views: every event passes exactly one OfType, so the merge keeps the source's order.
        return events.Publish(shared => Run(
            shared.OfType<ClientArrived>(), shared.OfType<LineReceived>(), shared.OfType<ClientLeft>(), stop.Select(_ => Unit.Default)));
    }

    /// <summary>
    /// Runs the chat: merges the three streams, folds them into the client set and sends what each step decides.
    /// </summary>
    /// <param name="arrivals">New connections; each gets the name prompt.</param>
    /// <param name="lines">Complete lines from connections that have arrived and not left.</param>
    /// <param name="departures">Connections that ended or must end; repeats and unknown ids are ignored.</param>
    /// <param name="shutdown">
    /// Its first value starts the shutdown: every connection receives <c>Server shutting down</c> and is closed,
    /// and later events change nothing. Null: never.
    /// </param>
    /// <returns>
    /// The chat's <see cref="ServerEvent"/>s. Cold: subscribing starts the chat, disposing stops it abruptly
    /// (writers are not completed). Each event comes after the lines its step sent were handed to the writers, on
    /// the thread that delivered the input; completes when every input completes and fails only if one fails.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="arrivals"/>, <paramref name="lines"/> or <paramref name="departures"/> is null.</exception>
    public IObservable<ServerEvent> Run(
        IObservable<ClientArrived> arrivals, IObservable<LineReceived> lines, IObservable<ClientLeft> departures, IObservable<Unit>? shutdown = null)
    {
        ArgumentNullException.ThrowIfNull(arrivals);
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(departures);
        var stops = (shutdown ?? Observable.Empty<Unit>()).Take(1).Select(_ => (ChatEvent)new ServerStopping());
        return Observable.Defer(() =>
        {
            var broadcast = new Subject<OutgoingLine>();
            var wired = arrivals.Select(a => (ChatEvent)new ClientWired(a, ClientInbox.Wire(a.Writer, broadcast, _writerScheduler, rejoins: a.Door == Door.Irc)));
            var timed = lines.Timestamp(_scheduler).Select(t => (ChatEvent)new TimedLine(t.Value, t.Timestamp));

            // This node's events pass its own rules (limits), then the room's log puts them in the room's one order,
            // and the fold decides, alike on every node, what each step sends.
            var admitted = Observable.Merge(wired, timed, departures, stops)
                .Scan(new NodeStep(NodeState.Empty(_options), []), (previous, e) => NodeRules.Admit(previous.State, e))
                .SelectMany(step => step.Admitted);
            return _log.Order(admitted)
                .Scan(
                    (Step: ChatStep.Unchanged(ChatState.Empty(RoomSettings.From(_options))), Entry: (RoomEntry)null!),
                    (previous, entry) => (ChatRules.Apply(previous.Step.State, entry), entry))
                .Do(folded =>
                {
                    Dispatch(folded.Step, broadcast);
                    _log.Folded(folded.Entry, folded.Step);
                })
                .SelectMany(folded => folded.Step.Reported);
        });
    }

    // One connection's life as events: its arrival, its lines, and one departure with the first reason.
    private IObservable<ChatEvent> EventsOf(IChatConnection c)
    {
        var life = c.Lines
            .Select(line => (ChatEvent)new LineReceived(c.Id, line))
            .Append(new ClientLeft(c.Id, DisconnectReason.EndOfStream))
            .Catch((Exception e) => Observable.Return(new ClientLeft(c.Id, e is ConnectionClosedException closed ? closed.Reason : DisconnectReason.Reset)));
        if (_options.IdleTimeout > TimeSpan.Zero)
        {
            // Every line restarts the clock; silence for the whole timeout ends the lines with an idle departure.
            life = life.Timeout(_options.IdleTimeout, Observable.Return(new ClientLeft(c.Id, DisconnectReason.Idle)), _scheduler);
        }

        return life.StartWith(new ClientArrived(c.Id, c.RemoteAddress, c.Writer, c.Door));
    }

    private static void Dispatch(ChatStep step, Subject<OutgoingLine> broadcast)
    {
        foreach (var delivery in step.Deliveries)
        {
            switch (delivery)
            {
                case Broadcast b: broadcast.OnNext(b.Line); break;
                case Send s: s.To.Inbox?.Send(s.Line); break;
                case Join j: j.Client.Inbox?.Join(); break;
                case Part p: p.Client.Inbox?.Part(); break;
                case Close c: c.Client.Inbox?.Close(); break;
            }
        }
    }
}
