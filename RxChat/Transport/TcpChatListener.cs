using System.Net;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RxChat.Core;

namespace RxChat.Transport;

/// <summary>
/// A listening TCP socket whose accepted connections are an observable of <see cref="IChatConnection"/>
/// (PROTOCOL.md, Transport). The core never sees a socket.
/// </summary>
public sealed class TcpChatListener : IDisposable
{
    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(100);

    private readonly Socket _socket;
    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();

    private readonly ChatMetrics? _metrics;
    private readonly ConnectionNumbers _numbers;
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Accepted sockets not yet closed, plus one until accepting has stopped.
    private int _open = 1;

    private TcpChatListener(Socket socket, ChatServerOptions options, IScheduler scheduler, ILogger logger, ChatMetrics? metrics, ConnectionNumbers numbers)
    {
        _metrics = metrics;
        _numbers = numbers;
        _socket = socket;
        _options = options;
        _scheduler = scheduler;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        Accepted = Observable.Create<Socket>(AcceptAsync).Select(socket => Accept(_numbers.Next(), socket));
        Connections = Accepted;
    }

    /// <summary>The address and port listened on; the real port when <see cref="ChatServerOptions.Port"/> was 0.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// Accepted connections, numbered from 1 (with the numbers of the other listeners of its server). Cold and meant for one subscriber (the broadcaster): subscribing
    /// starts accepting, disposing stops it. Never fails: accept errors are logged and accepting goes on;
    /// completes when the listener is disposed.
    /// </summary>
    public IObservable<IChatConnection> Connections { get; }

    /// <summary>As <see cref="Connections"/>, with the transport's own view of each connection.</summary>
    internal IObservable<SocketConnection> Accepted { get; }

    /// <summary>Completes once accepting has stopped and every accepted socket is closed; never fails.</summary>
    internal Task AllClosed => _allClosed.Task;

    /// <summary>Binds and listens on <see cref="ChatServerOptions.Host"/> and <see cref="ChatServerOptions.Port"/>.</summary>
    /// <param name="options">The address, port and line-length limit.</param>
    /// <param name="scheduler">The source of time.</param>
    /// <param name="logger">Where transport events go; null for none.</param>
    /// <param name="metrics">Where lines received, delivered and dropped are counted; null for nowhere.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or <paramref name="scheduler"/> is null.</exception>
    /// <exception cref="SocketException">The address cannot be resolved or bound (for example, the port is in use).</exception>
    public static TcpChatListener Bind(ChatServerOptions options, IScheduler scheduler, ILogger? logger = null, ChatMetrics? metrics = null)
    {
        var listener = BindOnly(options, scheduler, logger, metrics);
        listener.Listen();
        return listener;
    }

    /// <summary>
    /// Binds, so that the port is this server's (and a port in use fails now), but does not listen yet: connections
    /// are refused until <see cref="Listen"/>. For a node of a room, which opens its door once it can serve.
    /// </summary>
    internal static TcpChatListener BindOnly(ChatServerOptions options, IScheduler scheduler, ILogger? logger, ChatMetrics? metrics) =>
        BindOnly(options, options?.Port ?? 0, new ConnectionNumbers(), scheduler, logger, metrics);

    /// <summary>
    /// Binds one door of a server on <see cref="ChatServerOptions.Host"/> and <paramref name="port"/> without listening
    /// yet (as <see cref="BindOnly(ChatServerOptions, IScheduler, ILogger?, ChatMetrics?)"/>), its connections numbered
    /// with <paramref name="numbers"/>, which the server's other doors share.
    /// </summary>
    /// <exception cref="SocketException">The address cannot be resolved or bound (for example, the port is in use).</exception>
    internal static TcpChatListener BindOnly(ChatServerOptions options, int port, ConnectionNumbers numbers, IScheduler scheduler, ILogger? logger, ChatMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(numbers);
        ArgumentNullException.ThrowIfNull(scheduler);
        var address = Resolve(options.Host);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.Equals(IPAddress.IPv6Any))
            {
                // "::" takes IPv4 too, as Go's listener does; IPv4 peers then show as IPv4 (EndPointText).
                socket.DualMode = true;
            }

            socket.Bind(new IPEndPoint(address, port));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TcpChatListener(socket, options, scheduler, logger ?? NullLogger.Instance, metrics, numbers);
    }

    // An address as given, else the host name's first IPv4 address (as Go listens on "localhost"), else its first.
    private static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>Starts listening (once; later calls do nothing): connections are accepted from here.</summary>
    internal void Listen()
    {
        if (!_listening.Task.IsCompleted)
        {
            _socket.Listen(backlog: 1024);
            _listening.TrySetResult();
        }
    }

    /// <summary>Stops listening and closes every connection it accepted at once, without flushing.</summary>
    public void Dispose()
    {
        _socket.Dispose();
        _abort.Cancel();
    }

    private SocketConnection Accept(ConnectionId id, Socket socket)
    {
        socket.NoDelay = true;
        Interlocked.Increment(ref _open);
        var connection = new SocketConnection(id, socket, _options, _scheduler, _logger, _abort.Token, _metrics, Release);
        TransportLog.Accepted(_logger, id, connection.RemoteAddress);
        return connection;
    }

    private async Task AcceptAsync(IObserver<Socket> observer, CancellationToken cancellation)
    {
        try
        {
            await _listening.Task.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped before it ever listened.
        }

        while (!cancellation.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
            {
                break;
            }
            catch (SocketException e)
            {
                // Out of descriptors, say: back off a moment instead of spinning.
                TransportLog.AcceptFailed(_logger, e.Message);
                await Observable.Timer(AcceptRetryDelay, _scheduler).ToTask(cancellation).ConfigureAwait(false);
                continue;
            }

            // The prompt (or the refusal) goes out when the arrival's step is done, on this thread.
            using (SendBatch.Begin())
            {
                observer.OnNext(accepted);
            }
        }

        Release();
        observer.OnCompleted();
    }

    // One socket closed, or accepting stopped.
    private void Release()
    {
        if (Interlocked.Decrement(ref _open) == 0)
        {
            _allClosed.TrySetResult();
        }
    }
}
