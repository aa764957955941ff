using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace RxChat.Tests.Support;

/// <summary>
/// A TCP proxy the test controls, on an ephemeral loopback port, in front of a backend (a node's path to Redis, say):
/// it forwards every connection to the backend until the test <see cref="Cut"/>s the path, as a network would lose
/// it, and <see cref="Restore"/>s it; <see cref="Switch"/> sends new connections to another backend; <see cref="Latency"/>
/// makes it a slow path. Or, started with <see cref="StartTunnel"/>, an HTTP CONNECT proxy (StackExchange.Redis's
/// <c>tunnel=http:HOST:PORT</c>): every connection names its own backend, so that one proxy carries all of a client's
/// connections (to sentinels and to whichever Redis they name) and one cut cuts them all. Started and disposed by the
/// test: no thread of its own (every connection is two asynchronous pumps), and nothing left running once
/// <see cref="DisposeAsync"/> has returned.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    // A tunnel's answer once its backend is reached (StackExchange.Redis takes this one or "200 OK").
    private static readonly byte[] Established = Encoding.ASCII.GetBytes("HTTP/1.1 200 Connection established\r\n\r\n");

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lock = new();
    private readonly HashSet<Link> _links = [];
    private readonly bool _tunnel;        // each connection names its backend (HTTP CONNECT)
    private EndPoint _backend;
    private TaskCompletionSource _open;   // completed while the proxy forwards; a new one at each cut
    private CutMode? _cut;                // how the path is cut; null while it forwards
    private Task _accepting = Task.CompletedTask;
    private bool _disposed;
    private long _latency;                // Latency's ticks

    private TcpProxy(Socket listener, EndPoint backend, bool tunnel = false)
    {
        _listener = listener;
        _backend = backend;
        _tunnel = tunnel;
        _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _open.SetResult();
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>Where the proxy listens: a loopback address and an ephemeral port.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The port the proxy listens on.</summary>
    public int Port => EndPoint.Port;

    /// <summary>
    /// How long what passes waits in the proxy, each way (zero, the default: no wait), as on a slow network path: a
    /// round trip through it takes twice this longer. For connections made from then on; a connection with a latency
    /// reads on while what it read waits (in order, each chunk for its own time), as a network in flight does.
    /// </summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latency));
        set => Interlocked.Exchange(ref _latency, value.Ticks);
    }

    /// <summary>The connections through the proxy now (held ones included).</summary>
    public int Connections
    {
        get
        {
            lock (_lock)
            {
                return _links.Count;
            }
        }
    }

    /// <summary>
    /// Starts a proxy that forwards to <paramref name="backend"/> (an <see cref="IPEndPoint"/> or a
    /// <see cref="DnsEndPoint"/>), listening on <paramref name="address"/> (default 127.0.0.1).
    /// </summary>
    public static TcpProxy Start(EndPoint backend, IPAddress? address = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return Listen(backend, address, tunnel: false);
    }

    /// <summary>
    /// Starts an HTTP CONNECT proxy, listening on <paramref name="address"/> (default 127.0.0.1): each connection
    /// begins with <c>CONNECT HOST:PORT HTTP/1.1</c> and a blank line, and once the proxy has reached that backend it
    /// answers <c>HTTP/1.1 200 Connection established</c> and forwards as <see cref="Start"/>'s does. A request it
    /// cannot read, or a backend it cannot reach, resets the connection. <see cref="Switch"/> has no use here.
    /// </summary>
    public static TcpProxy StartTunnel(IPAddress? address = null) => Listen(new IPEndPoint(IPAddress.None, 0), address, tunnel: true);

    private static TcpProxy Listen(EndPoint backend, IPAddress? address, bool tunnel)
    {
        address ??= IPAddress.Loopback;
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, 0));
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        var proxy = new TcpProxy(listener, backend, tunnel);
        proxy._accepting = proxy.AcceptAsync();
        return proxy;
    }

    /// <summary>
    /// Cuts the path. <see cref="CutMode.Silent"/> (the default; a lost path is noticed later than a closed socket):
    /// every connection is held open and nothing passes either way, and new connections are accepted and held.
    /// <see cref="CutMode.Reset"/>: every connection is reset, and so is every new one.
    /// </summary>
    public void Cut(CutMode mode = CutMode.Silent)
    {
        List<Link> links;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_cut is null)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            _cut = mode;
            links = mode == CutMode.Reset ? [.. _links] : [];
        }

        foreach (var link in links)
        {
            link.Abort();
        }
    }

    /// <summary>Forwards again: held connections go on where they stopped, new ones reach the backend.</summary>
    public void Restore()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _cut = null;
            _open.TrySetResult();
        }
    }

    /// <summary>Sends connections made from now on (and held ones not yet connected) to <paramref name="backend"/>; the others stay where they are.</summary>
    public void Switch(EndPoint backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _backend = backend;
        }
    }

    /// <summary>Stops listening, resets every connection and waits until every pump has ended.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;

        // The accept loop has ended: every link it made is in the set, its task started.
        List<Link> links;
        lock (_lock)
        {
            links = [.. _links];
        }

        foreach (var link in links)
        {
            link.Abort();
        }

        await Task.WhenAll(links.Select(l => l.Running));
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Disposed (a failure to accept on a loopback listener is one too).
                return;
            }

            client.NoDelay = true;
            Link link;
            lock (_lock)
            {
                if (_disposed || _cut == CutMode.Reset)
                {
                    link = new Link(client, _stopping.Token);
                    link.Abort();
                    link.Close();
                    continue;
                }

                link = new Link(client, _stopping.Token);
                _links.Add(link);
            }

            link.Running = Task.Run(() => RunAsync(link));
        }
    }

    // One connection: waits while the path is cut, connects to the backend, then pumps both ways until both ends
    // have closed (or either failed, which resets both).
    private async Task RunAsync(Link link)
    {
        try
        {
            await WaitOpenAsync(link.Token);
            EndPoint backend;
            lock (_lock)
            {
                backend = _backend;
            }

            if (_tunnel)
            {
                backend = await ReadConnectAsync(link.Client, link.Token);
                await WaitOpenAsync(link.Token);
            }

            var server = link.Connecting(new Socket(SocketType.Stream, ProtocolType.Tcp));
            await server.ConnectAsync(backend, link.Token);
            server.NoDelay = true;
            if (_tunnel)
            {
                await WaitOpenAsync(link.Token);
                await link.Client.SendAsync(Established, SocketFlags.None, link.Token);
            }

            var latency = Latency;
            await (latency > TimeSpan.Zero
                ? Task.WhenAll(PumpLateAsync(link.Client, server, link, latency), PumpLateAsync(server, link.Client, link, latency))
                : Task.WhenAll(PumpAsync(link.Client, server, link), PumpAsync(server, link.Client, link)));
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidDataException)
        {
            // The backend refused (the client is reset, as a refused path would), the link was reset, or a tunnel's
            // request made no sense.
            link.Abort();
        }
        finally
        {
            link.Close();
            lock (_lock)
            {
                _links.Remove(link);
            }
        }
    }

    // A tunnel's request, up to its blank line (byte by byte: nothing after it is the proxy's to read): where to.
    private static async Task<EndPoint> ReadConnectAsync(Socket client, CancellationToken token)
    {
        var request = new List<byte>();
        var one = new byte[1];
        while (request.Count < 4 || request[^4] != '\r' || request[^3] != '\n' || request[^2] != '\r' || request[^1] != '\n')
        {
            if (request.Count > 4096 || await client.ReceiveAsync(one, SocketFlags.None, token) == 0)
            {
                throw new InvalidDataException("no CONNECT request");
            }

            request.Add(one[0]);
        }

        var words = Encoding.ASCII.GetString([.. request]).Split("\r\n")[0].Split(' ');
        if (words is not ["CONNECT", var authority, _])
        {
            throw new InvalidDataException($"not a CONNECT request: {words[0]}");
        }

        if (IPEndPoint.TryParse(authority, out var address) && address.Port != 0)
        {
            return address;
        }

        var colon = authority.LastIndexOf(':');
        return colon > 0 && int.TryParse(authority[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            ? new DnsEndPoint(authority[..colon], port)
            : throw new InvalidDataException($"no port in {authority}");
    }

    // Forwards one direction. While the path is cut, nothing is read and nothing written (what was read before the
    // cut waits here); an end of stream is passed on as one (half-close); a failure resets both ends.
    private async Task PumpAsync(Socket from, Socket to, Link link)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                await WaitOpenAsync(link.Token);
                var count = await from.ReceiveAsync(buffer, SocketFlags.None, link.Token);
                if (count == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await WaitOpenAsync(link.Token);
                for (var sent = 0; sent < count;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, count - sent), SocketFlags.None, link.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            link.Abort();
        }
    }

    // Forwards one direction LATENCY late: what is read waits its time in a queue (an end of stream too) while the next
    // is read; the path's cut holds both the reading and the writing, as in PumpAsync.
    private async Task PumpLateAsync(Socket from, Socket to, Link link, TimeSpan latency)
    {
        var queue = Channel.CreateUnbounded<(byte[] Bytes, long Read)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writing = WriteLateAsync(queue.Reader, to, link, latency);
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                await WaitOpenAsync(link.Token);
                var count = await from.ReceiveAsync(buffer, SocketFlags.None, link.Token);
                queue.Writer.TryWrite((buffer[..count], Stopwatch.GetTimestamp()));
                if (count == 0)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            link.Abort();
        }
        finally
        {
            queue.Writer.TryComplete();
        }

        await writing;
    }

    private async Task WriteLateAsync(ChannelReader<(byte[] Bytes, long Read)> queue, Socket to, Link link, TimeSpan latency)
    {
        try
        {
            await foreach (var (bytes, read) in queue.ReadAllAsync(link.Token))
            {
                var wait = latency - Stopwatch.GetElapsedTime(read);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, link.Token);
                }

                await WaitOpenAsync(link.Token);
                if (bytes.Length == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                for (var sent = 0; sent < bytes.Length;)
                {
                    sent += await to.SendAsync(bytes.AsMemory(sent), SocketFlags.None, link.Token);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            link.Abort();
        }
    }

    private Task WaitOpenAsync(CancellationToken token)
    {
        Task open;
        lock (_lock)
        {
            open = _open.Task;
        }

        return open.IsCompleted ? Task.CompletedTask : open.WaitAsync(token);
    }

    // A connection through the proxy: the client's socket, the backend's once connecting, and a token that ends both
    // pumps when the link is reset.
    private sealed class Link(Socket client, CancellationToken stopping)
    {
        private readonly CancellationTokenSource _reset = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private readonly Lock _lock = new();
        private Socket? _server;
        private bool _aborted;

        public Socket Client { get; } = client;

        public CancellationToken Token => _reset.Token;

        public Task Running { get; set; } = Task.CompletedTask;

        // The backend's socket, reset at once if the link already was.
        public Socket Connecting(Socket server)
        {
            lock (_lock)
            {
                _server = server;
                if (_aborted)
                {
                    Reset(server);
                }
            }

            return server;
        }

        // Resets both ends (RST) and ends both pumps; once is enough.
        public void Abort()
        {
            Socket? server;
            lock (_lock)
            {
                if (_aborted)
                {
                    return;
                }

                _aborted = true;
                server = _server;
            }

            Reset(Client);
            if (server is not null)
            {
                Reset(server);
            }

            try
            {
                _reset.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Closed already.
            }
        }

        public void Close()
        {
            Client.Dispose();
            lock (_lock)
            {
                _server?.Dispose();
            }

            _reset.Dispose();
        }

        private static void Reset(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Close();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                // Closed already.
            }
        }
    }
}
