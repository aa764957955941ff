using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Security.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RxChat.Core;

namespace RxChat.Transport;

/// <summary>
/// A listening TCP socket whose accepted connections are an observable of <see cref="IChatConnection"/>
/// (PROTOCOL.md, Transport). The core never sees a socket. A TLS door's listener (one bound with a
/// <see cref="ServerCertificate"/>) runs each connection's handshake before the connection exists for the core: a
/// handshake that fails, or that does not finish within <see cref="ChatServerOptions.TlsHandshakeTimeout"/>, closes
/// its socket and nobody hears of it (PROTOCOL.md, Doors, TLS).
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

    // A TLS door's certificate; null for plain TCP.
    private readonly ServerCertificate? _certificate;
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Accepted sockets not yet closed, plus one until accepting has stopped.
    private int _open = 1;

    // TLS handshakes under way.
    private int _handshaking;

    private TcpChatListener(Socket socket, ChatServerOptions options, IScheduler scheduler, ILogger logger, ChatMetrics? metrics, ConnectionNumbers numbers, ServerCertificate? certificate)
    {
        _metrics = metrics;
        _numbers = numbers;
        _certificate = certificate;
        _socket = socket;
        _options = options;
        _scheduler = scheduler;
        _logger = logger;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        var sockets = Observable.Create<Socket>(AcceptAsync);
        Accepted = certificate is null
            ? sockets.Select(socket => Accept(_numbers.Next(), Open(socket), tls: null))
            : sockets.SelectMany(socket => Handshake(Open(socket), certificate));
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
    /// with <paramref name="numbers"/>, which the server's other doors share; over TLS with
    /// <paramref name="certificate"/> (its handshakes bounded by <see cref="ChatServerOptions.TlsHandshakeTimeout"/>),
    /// plain TCP without.
    /// </summary>
    /// <exception cref="SocketException">The address cannot be resolved or bound (for example, the port is in use).</exception>
    internal static TcpChatListener BindOnly(
        ChatServerOptions options, int port, ConnectionNumbers numbers, IScheduler scheduler, ILogger? logger, ChatMetrics? metrics, ServerCertificate? certificate = null)
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
        catch (SocketException e)
        {
            socket.Dispose();
            throw new BindException(new IPEndPoint(address, port), e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TcpChatListener(socket, options, scheduler, logger ?? NullLogger.Instance, metrics, numbers, certificate);
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

    // A socket taken: counted open until it is closed.
    private Socket Open(Socket socket)
    {
        socket.NoDelay = true;
        Interlocked.Increment(ref _open);
        return socket;
    }

    private SocketConnection Accept(ConnectionId id, Socket socket, SslStream? tls)
    {
        var connection = new SocketConnection(id, socket, _options, _scheduler, _logger, _abort.Token, _metrics, Release, tls);
        TransportLog.Accepted(_logger, id, connection.RemoteAddress);
        return connection;
    }

    // A TLS door's socket: the connection, once its handshake is done; nothing if it fails, runs out of time, or
    // accepting stops first (disposing the subscription cancels the handshake). At most MaxClients handshakes at once
    // (when there is a limit): more are closed at once.
    private IObservable<SocketConnection> Handshake(Socket socket, ServerCertificate certificate) =>
        Observable.Create<SocketConnection>(async (observer, cancellation) =>
        {
            if (await HandshakeAsync(socket, certificate, cancellation).ConfigureAwait(false) is { } connection)
            {
                // The prompt goes out when the arrival's step is done, on this thread, as for a plain connection.
                using (SendBatch.Begin())
                {
                    observer.OnNext(connection);
                }
            }
        });

    private async Task<SocketConnection?> HandshakeAsync(Socket socket, ServerCertificate certificate, CancellationToken cancellation)
    {
        var remoteAddress = EndPointText.Format(socket.RemoteEndPoint);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        var limit = _options.MaxClients;
        if (Interlocked.Increment(ref _handshaking) > limit && limit > 0)
        {
            Interlocked.Decrement(ref _handshaking);
            return Refuse(socket, tls, remoteAddress, "busy", $"more than {limit} handshakes at once");
        }

        var timedOut = false;
        try
        {
            using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _abort.Token);
            using (_options.TlsHandshakeTimeout > TimeSpan.Zero ? _scheduler.Schedule(_options.TlsHandshakeTimeout, () => Expire(handshake, ref timedOut)) : Disposable.Empty)
            {
                await tls.AuthenticateAsServerAsync(certificate.Options, handshake.Token).ConfigureAwait(false);
            }
        }
        catch (Exception) when (Volatile.Read(ref timedOut))
        {
            return Refuse(socket, tls, remoteAddress, "timeout", $"not done within {_options.TlsHandshakeTimeout}");
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A client that is not TLS, does not trust the certificate, or went away; or accepting stopped.
            return Refuse(socket, tls, remoteAddress, "error", e.Message);
        }
        catch (Exception e)
        {
            // A bug, not the client: it costs this socket only, and says so.
            TransportLog.HandshakeUnexpected(_logger, remoteAddress, e);
            return Refuse(socket, tls, remoteAddress, "error", e.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
        }

        if (cancellation.IsCancellationRequested)
        {
            // Accepting stopped just as the handshake ended: the connection would go nowhere.
            return Refuse(socket, tls, remoteAddress, reason: null, "accepting stopped");
        }

        return Accept(_numbers.Next(), socket, tls);
    }

    // The handshake timer: marks the handshake timed out and cancels it (the handshake may have ended meanwhile).
    private static void Expire(CancellationTokenSource handshake, ref bool timedOut)
    {
        Volatile.Write(ref timedOut, true);
        try
        {
            handshake.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // Closes a socket whose handshake did not make a connection: at Debug, and counted by reason (none: not a failure).
    private SocketConnection? Refuse(Socket socket, SslStream tls, string remoteAddress, string? reason, string error)
    {
        TransportLog.HandshakeFailed(_logger, remoteAddress, error);
        if (reason is not null)
        {
            _metrics?.HandshakesFailed.Add(1, new KeyValuePair<string, object?>("reason", reason));
        }

        tls.Dispose();
        socket.Dispose();
        Release();
        return null;
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
