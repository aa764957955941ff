using System.Diagnostics.Metrics;
using System.Net;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RxChat.Core;
using RxChat.Irc;
using RxChat.Rooms;
using RxChat.Transport;
using RxChat.Web;

namespace RxChat.Hosting;

/// <summary>
/// A running chat server: its doors (a <see cref="TcpChatListener"/> for the line door, and another for the line door
/// over TLS when <see cref="ChatServerOptions.TlsPort"/> is set; the web door, Kestrel, when
/// <see cref="ChatServerOptions.HttpPort"/> is set: the page, its WebSocket, health and metrics), and any other
/// connections you bring, feeding a <see cref="Broadcaster"/>. The public facade for applications and tests;
/// <c>Program</c> runs one inside the generic host.
/// </summary>
/// <example>
/// <code>
/// await using var server = ChatServer.Start(new ChatServerOptions { Port = 8000 });
/// using var arrivals = server.Events.OfType&lt;ClientEntered&gt;().Subscribe(e => Console.WriteLine($"{e.Name} is here"));
/// // A bot: from what it hears to what it says, wired before the server sends it anything; its first line is its name.
/// using var bot = server.Connect(heard => heard.Where(l => l.EndsWith(": !ping")).Select(_ => "pong").StartWith("bot")).Subscribe();
/// </code>
/// </example>
public sealed class ChatServer : IAsyncDisposable
{
    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;

    // The doors' listeners, the line door first, each with what makes its connections the core's.
    private readonly TcpChatListener[] _doors;
    private readonly TcpChatListener? _tlsDoor;
    private readonly TcpChatListener? _ircDoor;
    private readonly TcpChatListener? _ircTlsDoor;

    // The web door (page, WebSocket, health, metrics); null without --http-port.
    private readonly WebDoor? _web;
    private readonly ChatMetrics _metrics;
    private readonly bool _ownsMetrics;
    private readonly IRoomLog _log;
    private readonly AsyncSubject<Unit> _shutdown = new();
    private readonly Subject<IChatConnection> _inProcess = new();
    private readonly Task _allClosed;
    private readonly Task _eventsDone;
    private readonly IDisposable _subscription;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopRequested;

    private ChatServer(
        ChatServerOptions options, IScheduler scheduler, IScheduler writerScheduler, Doors doors, WebDoor? web,
        IObservable<IChatConnection>? connections, ChatMetrics metrics, bool ownsMetrics, ILogger logger, IObserver<ServerEvent>? observer, IRoomLog log)
    {
        _log = log;
        _options = options;
        _scheduler = scheduler;
        _doors = [.. doors.All.Select(d => d.Listener)];
        (_tlsDoor, _ircDoor, _ircTlsDoor) = (doors.Tls, doors.Irc, doors.IrcTls);
        _web = web;
        _metrics = metrics;
        _ownsMetrics = ownsMetrics;
        var accepted = doors.All.Select(d => d.Listener.Accepted.Select(d.Open)).Merge().TakeUntil(_shutdown).Publish();

        _allClosed = Task.WhenAll(_doors.Select(d => d.AllClosed).Append(web?.AllClosed ?? Task.CompletedTask));
        var all = Observable.Merge(
            accepted,
            web?.Accepted.TakeUntil(_shutdown) ?? Observable.Never<IChatConnection>(),
            _inProcess,
            connections ?? Observable.Never<IChatConnection>());
        var events = new Broadcaster(options, scheduler, writerScheduler, log).Run(all, _shutdown).Publish();
        Events = events.AsObservable();
        _eventsDone = events.IgnoreElements().Select(_ => Unit.Default).DefaultIfEmpty().ToTask();
        _subscription = new CompositeDisposable(
            events.Subscribe(e => Report(e, logger), e => HostingLog.ChatFailed(logger, e)),
            observer is null ? Disposable.Empty : events.Subscribe(observer),
            events.Connect(),
            accepted.Connect());

        // Ready means ready (PROTOCOL.md, Rooms across nodes): a node of a room opens its door once it serves the room,
        // and is ready once it listens (whoever waits for Ready may connect at once).
        Ready = log.Ready.ContinueWith(
            _ =>
            {
                foreach (var door in _doors)
                {
                    door.Listen();
                }

                _metrics.Started();
                HostingLog.Listening(logger, EndPoint, Redacted(options));
                if (_tlsDoor is not null)
                {
                    HostingLog.ListeningTls(logger, _tlsDoor.LocalEndPoint);
                }

                if (_ircDoor is not null)
                {
                    HostingLog.ListeningIrc(logger, _ircDoor.LocalEndPoint);
                }

                if (_ircTlsDoor is not null)
                {
                    HostingLog.ListeningIrcTls(logger, _ircTlsDoor.LocalEndPoint);
                }
            },
            CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        web?.Serve(Ready, () => _log.IsServing);
    }

    /// <summary>
    /// Completes once newcomers are served, and the server listens: at once for a server of its own; for a node of a
    /// room on Redis (<see cref="ChatServerOptions.Redis"/>), once the node has joined the room and caught up with its
    /// log, which waits for Redis as long as it takes. Until then the port is bound (it is this server's) but
    /// connections are refused (PROTOCOL.md, Rooms across nodes: ready means ready).
    /// </summary>
    public Task Ready { get; }

    /// <summary>The address and port the server listens on (the real port when the options asked for 0).</summary>
    public IPEndPoint EndPoint => _doors[0].LocalEndPoint;

    /// <summary>
    /// The address and port of the line door over TLS (the real port when <see cref="ChatServerOptions.TlsPort"/> was 0);
    /// null when there is none.
    /// </summary>
    public IPEndPoint? TlsEndPoint => _tlsDoor?.LocalEndPoint;

    /// <summary>
    /// The address and port of the IRC door (the real port when <see cref="ChatServerOptions.IrcPort"/> was 0); null
    /// when there is none.
    /// </summary>
    public IPEndPoint? IrcEndPoint => _ircDoor?.LocalEndPoint;

    /// <summary>
    /// The address and port of the IRC door over TLS (the real port when <see cref="ChatServerOptions.IrcTlsPort"/> was
    /// 0); null when there is none.
    /// </summary>
    public IPEndPoint? IrcTlsEndPoint => _ircTlsDoor?.LocalEndPoint;

    /// <summary>
    /// The address and port of the web door (the real port when <see cref="ChatServerOptions.HttpPort"/> was 0); null
    /// when there is none. It listens from the start (<c>/healthz</c> answers 503 until <see cref="Ready"/>).
    /// </summary>
    public IPEndPoint? HttpEndPoint => _web?.EndPoint;

    /// <summary>The web door's scheme: <c>https</c> with a TLS certificate, else <c>http</c>; null without a web door.</summary>
    public string? HttpScheme => _web?.Scheme;

    /// <summary>
    /// The chat's events: connections opening and closing (with the reason), clients entering and renaming,
    /// messages. Hot: a subscriber sees what happens after it subscribes. Notifies on the thread that delivered
    /// the input, in the chat's one order; do not block in it. Completes after a shutdown, once every connection
    /// has ended.
    /// </summary>
    public IObservable<ServerEvent> Events { get; }

    /// <summary>The server's instruments (a meter named <c>RxChat</c>).</summary>
    public ChatMetrics Metrics => _metrics;

    /// <summary>
    /// Binds and starts serving. A server of its own listens before this returns; a node of a room on Redis listens
    /// once it has joined the room (<see cref="Ready"/>).
    /// </summary>
    /// <param name="options">The settings; see <see cref="ChatServerOptions"/>.</param>
    /// <param name="scheduler">The source of time; default <see cref="ChatSchedulers.Time"/>.</param>
    /// <param name="writerScheduler">Where writers run; default <see cref="ChatSchedulers.Writers"/>.</param>
    /// <param name="loggerFactory">Where logs go; default none.</param>
    /// <param name="connections">
    /// Connections from a transport of your own, served next to the TCP ones; each is subscribed once.
    /// </param>
    /// <param name="meterFactory">Where the <c>RxChat</c> meter comes from; default a meter of the server's own.</param>
    /// <param name="events">
    /// Subscribed to <see cref="Events"/> before the first connection is taken, so that it misses nothing.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">
    /// <see cref="ChatServerOptions.TlsPort"/> is set without <see cref="ChatServerOptions.TlsCertificate"/> and
    /// <see cref="ChatServerOptions.TlsKey"/>, or either file cannot be loaded (the message says which and why), or
    /// <see cref="ChatServerOptions.HttpAllowedOrigins"/> holds something that is not an origin, or two doors are given
    /// the same port (other than 0).
    /// </exception>
    /// <exception cref="System.Net.Sockets.SocketException">An address cannot be bound (for example, a port is in use).</exception>
    public static ChatServer Start(
        ChatServerOptions options, IScheduler? scheduler = null, IScheduler? writerScheduler = null, ILoggerFactory? loggerFactory = null,
        IObservable<IChatConnection>? connections = null, IMeterFactory? meterFactory = null, IObserver<ServerEvent>? events = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (ChatServerOptionsReader.SharedPort(options) is { } shared)
        {
            throw new ArgumentException($"two doors on port {shared.Port} (--{shared.First}, --{shared.Second}): each door needs a port of its own", nameof(options));
        }

        scheduler ??= ChatSchedulers.Time;
        loggerFactory ??= NullLoggerFactory.Instance;
        var transportLogger = loggerFactory.CreateLogger("RxChat.Transport");
        var certificate = LoadCertificate(options, transportLogger);
        var metrics = new ChatMetrics(meterFactory);
        var doors = new List<(TcpChatListener Listener, Func<SocketConnection, IChatConnection> Open)>();
        WebDoor? web = null;
        try
        {
            // Every door numbers its connections from one sequence, so that an id names one connection whatever its door.
            var numbers = new ConnectionNumbers();
            var irc = new IrcDoorSettings(options.IrcServerName, options.IrcChannel, scheduler.Now, options.IdleTimeout);

            // IRC's lines are at most 512 bytes with their \r\n (RFC 2812 §2.3), whatever the line door allows.
            var ircOptions = options with { MaxLineLength = IrcText.MaxLine - 2 };
            Func<SocketConnection, IChatConnection> line = c => c;
            Func<SocketConnection, IChatConnection> ircOpen = c => new IrcConnection(c, irc, scheduler);
            TcpChatListener? Door(ChatServerOptions doorOptions, int? port, ServerCertificate? tls, Func<SocketConnection, IChatConnection> open)
            {
                if (port is not { } p)
                {
                    return null;
                }

                var listener = TcpChatListener.BindOnly(doorOptions, p, numbers, scheduler, transportLogger, metrics, tls);
                doors.Add((listener, open));
                return listener;
            }

            Door(options, options.Port, null, line);
            var bound = new Doors(
                doors,
                Tls: Door(options, options.TlsPort, certificate, line),
                Irc: Door(ircOptions, options.IrcPort, null, ircOpen),
                IrcTls: Door(ircOptions, options.IrcTlsPort, certificate, ircOpen));

            // The web door binds and listens at once: its health check answers (503) until the server is ready.
            web = options.HttpPort is { } httpPort
                ? WebDoor.Start(options, doors[0].Listener.LocalEndPoint.Address, httpPort, numbers, scheduler, certificate, metrics, loggerFactory)
                : null;

            IRoomLog log = options.Redis is null
                ? new InProcessRoomLog(scheduler)
                : SharedRoomLog.OnRedis(options, scheduler, loggerFactory.CreateLogger("RxChat.Room"), metrics);
            return new ChatServer(
                options, scheduler, writerScheduler ?? ChatSchedulers.Writers, bound, web, connections, metrics, meterFactory is null,
                loggerFactory.CreateLogger("RxChat.Server"), events, log);
        }
        catch
        {
            foreach (var door in doors)
            {
                door.Listener.Dispose();
            }

            web?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            metrics.Dispose();
            throw;
        }
    }

    // The TLS doors' certificate, when they are asked for (or when a certificate is given at all: checked at start).
    private static ServerCertificate? LoadCertificate(ChatServerOptions options, ILogger logger)
    {
        if (options.TlsCertificate is null && options.TlsKey is null)
        {
            return options.TlsPort is null && options.IrcTlsPort is null
                ? null
                : throw new ArgumentException("a TLS port needs a certificate and its key (TlsCertificate, TlsKey)", nameof(options));
        }

        if (options.TlsCertificate is null || options.TlsKey is null)
        {
            throw new ArgumentException("a TLS certificate needs its key, and a key its certificate (TlsCertificate, TlsKey)", nameof(options));
        }

        return ServerCertificate.Load(options.TlsCertificate, options.TlsKey, logger);
    }

    /// <summary>
    /// Joins an in-process client (a bot, a bridge) to the chat, without a socket. It sees exactly what a TCP
    /// client sees, starting with <c>What is your name?</c>.
    /// </summary>
    /// <param name="lines">What the client says, a line per string; completing it leaves cleanly.</param>
    /// <param name="remoteAddress">The address shown for it; its name if it answers the prompt with an empty line.</param>
    /// <returns>
    /// Cold: subscribing connects. Emits every line the server sends the client, on the writer scheduler;
    /// completes when the server closes the connection (<c>/quit</c>, idle, shutdown). Disposing the
    /// subscription leaves, as a TCP client closing its side.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="lines"/> is null.</exception>
    public IObservable<string> Connect(IObservable<string> lines, string remoteAddress = "in-process")
    {
        ArgumentNullException.ThrowIfNull(lines);
        return Observable.Create<string>(observer =>
        {
            var connection = new InProcessConnection(lines, observer, _options.MaxLineLength, remoteAddress, _options.OutboxCapacity, _options.SlowClientPolicy);
            _inProcess.OnNext(connection);
            return Disposable.Create(connection.Leave);
        });
    }

    /// <summary>
    /// Joins an in-process client whose words depend on what it hears (a bot): <paramref name="converse"/>
    /// gets the lines the client receives and returns what it says. What it hears is subscribed before the server
    /// sends it anything, so no line is missed (unlike wiring a subject to <see cref="Connect(IObservable{string}, string)"/>
    /// after the fact).
    /// </summary>
    /// <param name="converse">From the lines heard (hot; starting with the prompt) to the lines said.</param>
    /// <param name="remoteAddress">The address shown for it.</param>
    /// <returns>As <see cref="Connect(IObservable{string}, string)"/>: what the client hears.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="converse"/> is null.</exception>
    public IObservable<string> Connect(Func<IObservable<string>, IObservable<string>> converse, string remoteAddress = "in-process")
    {
        ArgumentNullException.ThrowIfNull(converse);
        return Observable.Create<string>(observer =>
        {
            var heard = new Subject<string>();
            var subscription = heard.Subscribe(observer);
            var connection = new InProcessConnection(Observable.Defer(() => converse(heard)), heard, _options.MaxLineLength, remoteAddress, _options.OutboxCapacity, _options.SlowClientPolicy);
            _inProcess.OnNext(connection);
            return new CompositeDisposable(Disposable.Create(connection.Leave), subscription);
        });
    }

    /// <summary>
    /// Shuts down gracefully (PROTOCOL.md, Shutdown): stops accepting, sends every connection
    /// <c>Server shutting down</c> after what is queued for it, waits up to
    /// <see cref="ChatServerOptions.ShutdownTimeout"/> for the lines to be written and the connections to close,
    /// then closes what is left. Calling it again returns the same task.
    /// </summary>
    /// <param name="cancellationToken">Cuts the wait short: connections still open are closed at once.</param>
    /// <returns>Completes when every connection is closed and <see cref="Events"/> has completed; never fails.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _ = StopCoreAsync(cancellationToken);
        }

        return _stopped.Task;
    }

    /// <summary>Shuts down as <see cref="StopAsync"/> does, then releases the meter.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _subscription.Dispose();
        if (_log is IAsyncDisposable log)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsMetrics)
        {
            _metrics.Dispose();
        }
    }

    // The options as logs may show them: the Redis configuration without its password.
    internal static ChatServerOptions Redacted(ChatServerOptions options) => options.Redis is { } redis
        ? options with { Redis = StackExchange.Redis.ConfigurationOptions.Parse(redis).ToString(includePassword: false) }
        : options;

    private void Report(ServerEvent e, ILogger logger)
    {
        _metrics.Record(e);
        switch (e)
        {
            case ConnectionOpened opened:
                HostingLog.Opened(logger, opened.Id, opened.RemoteAddress);
                break;
            case ClientEntered entered:
                HostingLog.Entered(logger, entered.Id, entered.Name);
                break;
            case ClientRenamed renamed:
                HostingLog.Renamed(logger, renamed.Id, renamed.OldName, renamed.NewName);
                break;
            case MessageSent message when _options.LogMessages:
                HostingLog.Message(logger, message.Id, message.Name, message.Kind, message.To, message.Text);
                break;
            case ConnectionClosed closed:
                HostingLog.Closed(logger, closed.Id, closed.Name ?? "unnamed", closed.Reason);
                break;
            case NodeJoined joined:
                HostingLog.NodeJoined(logger, joined.Node);
                break;
            case NodeGone gone:
                HostingLog.NodeGone(logger, gone.Node, gone.Stopped ? "stopped" : "silent past the node timeout");
                break;
        }
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            _web?.StopAccepting();
            _shutdown.OnNext(Unit.Default);
            _shutdown.OnCompleted();
            _inProcess.OnCompleted();
            if (_options.ShutdownTimeout > TimeSpan.Zero)
            {
                var deadline = Observable.Timer(_options.ShutdownTimeout, _scheduler).ToTask(cancellationToken);
                await Task.WhenAny(_allClosed, deadline).ConfigureAwait(false);
            }

            foreach (var door in _doors)
            {
                door.Dispose();
            }

            _web?.Abort();
            await Task.WhenAny(_allClosed).ConfigureAwait(false);
            if (_web is not null)
            {
                await _web.DisposeAsync().ConfigureAwait(false);
            }

            // In-process connections end as soon as they are closed; a transport of the caller's gets a second.
            await Task.WhenAny(_eventsDone, Observable.Timer(TimeSpan.FromSeconds(1), _scheduler).ToTask()).ConfigureAwait(false);
        }
        finally
        {
            // Stopping never fails and never hangs on a fault: what could not be closed politely was aborted.
            _stopped.TrySetResult();
        }
    }
}

// The doors a server bound, each listener with what makes its connections the core's; the named ones may be absent.
internal sealed record Doors(
    IReadOnlyList<(TcpChatListener Listener, Func<SocketConnection, IChatConnection> Open)> All,
    TcpChatListener? Tls,
    TcpChatListener? Irc,
    TcpChatListener? IrcTls);
