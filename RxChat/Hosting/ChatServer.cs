using System.Net;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RxChat.Core;
using RxChat.Transport;

namespace RxChat.Hosting;

/// <summary>
/// A running chat server: a <see cref="TcpChatListener"/> feeding a <see cref="Broadcaster"/>. The public facade
/// for applications and tests; <c>Program</c> runs one inside the generic host.
/// </summary>
public sealed class ChatServer : IAsyncDisposable
{
    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;
    private readonly TcpChatListener _listener;
    private readonly AsyncSubject<Unit> _shutdown = new();
    private readonly Task _allClosed;
    private readonly IDisposable _subscription;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopRequested;

    private ChatServer(ChatServerOptions options, IScheduler scheduler, IScheduler writerScheduler, TcpChatListener listener, ILogger logger)
    {
        _options = options;
        _scheduler = scheduler;
        _listener = listener;
        var accepted = listener.Accepted.TakeUntil(_shutdown).Publish();

        // Completes when accepting has stopped and every accepted socket is closed.
        _allClosed = accepted.SelectMany(c => c.Closed.ToObservable()).DefaultIfEmpty().ToTask();
        var broadcaster = new Broadcaster(options, scheduler, writerScheduler);
        _subscription = new System.Reactive.Disposables.CompositeDisposable(
            broadcaster.Run(accepted, _shutdown).Subscribe(_ => { }, e => HostingLog.ChatFailed(logger, e)),
            accepted.Connect());
    }

    /// <summary>The address and port the server listens on (the real port when the options asked for 0).</summary>
    public IPEndPoint EndPoint => _listener.LocalEndPoint;

    /// <summary>
    /// Binds, listens and starts serving. Returns once connections are accepted.
    /// </summary>
    /// <param name="options">The settings; see <see cref="ChatServerOptions"/>.</param>
    /// <param name="scheduler">The source of time; default <see cref="ChatSchedulers.Time"/>.</param>
    /// <param name="writerScheduler">Where writers run; default <see cref="ChatSchedulers.Writers"/>.</param>
    /// <param name="loggerFactory">Where logs go; default none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The address cannot be bound (for example, the port is in use).</exception>
    public static ChatServer Start(ChatServerOptions options, IScheduler? scheduler = null, IScheduler? writerScheduler = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        scheduler ??= ChatSchedulers.Time;
        loggerFactory ??= NullLoggerFactory.Instance;
        var listener = TcpChatListener.Bind(options, scheduler, loggerFactory.CreateLogger("RxChat.Transport"));
        return new ChatServer(options, scheduler, writerScheduler ?? ChatSchedulers.Writers, listener, loggerFactory.CreateLogger("RxChat.Server"));
    }

    /// <summary>
    /// Shuts down gracefully (PROTOCOL.md, Shutdown): stops accepting, sends every connection
    /// <c>Server shutting down</c> after what is queued for it, waits up to
    /// <see cref="ChatServerOptions.ShutdownTimeout"/> for the lines to be written and the connections to close,
    /// then closes what is left. Calling it again returns the same task.
    /// </summary>
    /// <param name="cancellationToken">Cuts the wait short: connections still open are closed at once.</param>
    /// <returns>Completes when every connection is closed; never fails.</returns>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _ = StopCoreAsync(cancellationToken);
        }

        return _stopped.Task;
    }

    /// <summary>Shuts down as <see cref="StopAsync"/> does.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _subscription.Dispose();
    }

    private async Task StopCoreAsync(CancellationToken cancellationToken)
    {
        _shutdown.OnNext(Unit.Default);
        _shutdown.OnCompleted();
        if (_options.ShutdownTimeout > TimeSpan.Zero)
        {
            var deadline = Observable.Timer(_options.ShutdownTimeout, _scheduler).ToTask(cancellationToken);
            await Task.WhenAny(_allClosed, deadline).ConfigureAwait(false);
        }

        _listener.Dispose();
        await _allClosed.ConfigureAwait(false);
        _stopped.TrySetResult();
    }
}
