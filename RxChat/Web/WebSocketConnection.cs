using System.Net.WebSockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging;
using RxChat.Core;
using RxChat.Transport;

namespace RxChat.Web;

/// <summary>
/// One WebSocket of the web door as an <see cref="IChatConnection"/> (PROTOCOL.md, Doors, Web door): the line protocol,
/// one line per text message each way, without the <c>\n</c>. The core sees a connection like any other, of
/// <see cref="Door.Web"/>, and knows nothing of WebSockets.
/// Reading: a text message is framed by <see cref="LineFramer"/> as a line door's bytes are, and ends its last line: a
/// message holding <c>\n</c> is several lines (a <c>\r</c> before each <c>\n</c> is dropped), one without is one line,
/// an empty one an empty line (which the core ignores, but which counts as activity); a message longer than
/// <see cref="ChatServerOptions.MaxLineLength"/> bytes is reported once as <see cref="ReceivedLine.TooLong"/> as soon as
/// it passes the limit, and its bytes are skipped unkept to the message's end, so the connection never holds more
/// than the limit and a byte of a message. A binary message ends the connection with status 1003. The socket waits
/// for a message with a zero-byte receive, so an idle connection holds no buffer.
/// Writing: as <see cref="SocketConnection"/> does, the writer puts each line in an <see cref="Outbox"/> bounded by
/// <see cref="OutboxBound"/> (<see cref="ChatServerOptions.OutboxCapacity"/>, <see cref="ChatServerOptions.SlowClientPolicy"/>)
/// and never waits; one send loop, the socket's only sender, writes each line as one text message
/// (<see cref="OutgoingLine.Utf8"/> without its <c>\n</c>: the line door's text). When the writer completes, what is
/// queued is written, then the close frame: 1001 while the server shuts down, 1003 after a binary message, else
/// 1000; the connection then waits up to a second for the client's close before it aborts.
/// </summary>
internal sealed class WebSocketConnection : IChatConnection, IObserver<OutgoingLine>
{
    // How long a closing connection, its close frame sent, waits for the client's before it aborts (as a line
    // connection waits for the peer's end of stream).
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(1);

    private static readonly Action<object?> RunSends = static c => _ = ((WebSocketConnection)c!).SendAsync();

    private readonly WebSocket _socket;
    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly ChatMetrics? _metrics;
    private readonly Func<bool> _stopping;
    private readonly Outbox _outbox = new();
    private readonly OutboxBound _bound;
    private readonly Subject<bool> _stopped = new();
    private readonly TaskCompletionSource _readEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // 1 while a send loop runs or is scheduled; it stays 1 once the connection is closed.
    private int _sending;

    // The writer has completed: no more lines come.
    private volatile bool _completed;

    // The socket failed or was aborted: nothing more is written.
    private volatile bool _failed;

    // The first reason this side ended the connection (-1: none yet); first cause wins.
    private int _closeReason = -1;

    // The client sent a binary message: the close says 1003.
    private volatile bool _binary;

    /// <summary>Wraps an accepted WebSocket.</summary>
    /// <param name="id">The connection's id, from the numbers the server's doors share.</param>
    /// <param name="socket">The accepted WebSocket; this connection is its only reader and sender.</param>
    /// <param name="remoteAddress">The client's address as Go writes it.</param>
    /// <param name="options">The line-length limit and the outbox bound.</param>
    /// <param name="scheduler">The source of time (the linger after the close frame).</param>
    /// <param name="logger">Where the connection's events go (the transport's ids).</param>
    /// <param name="metrics">Where lines received, delivered and dropped are counted; null for nowhere.</param>
    /// <param name="stopping">Whether the server is shutting down, asked when the close frame goes (1001 then).</param>
    public WebSocketConnection(
        ConnectionId id, WebSocket socket, string remoteAddress, ChatServerOptions options, IScheduler scheduler, ILogger logger, ChatMetrics? metrics, Func<bool> stopping)
    {
        Id = id;
        _socket = socket;
        RemoteAddress = remoteAddress;
        _options = options;
        _scheduler = scheduler;
        _logger = logger;
        _metrics = metrics;
        _stopping = stopping;
        _bound = new OutboxBound(options.OutboxCapacity, options.SlowClientPolicy);

        // The reader goes on until the socket ends; a stop by this side (a slow consumer) ends the lines at once with
        // its reason, which the core turns into the departure.
        var read = Observable.Create<ReceivedLine>(observer =>
        {
            _ = ReadAsync(observer);
            return System.Reactive.Disposables.Disposable.Empty;
        });
        Lines = read.TakeUntil(_stopped).Concat(Observable.Defer(() => Volatile.Read(ref _closeReason) is var reason and not -1
            ? Observable.Throw<ReceivedLine>(new ConnectionClosedException((DisconnectReason)reason))
            : Observable.Empty<ReceivedLine>()));
    }

    public ConnectionId Id { get; }

    public string RemoteAddress { get; }

    public Door Door => Door.Web;

    public IObservable<ReceivedLine> Lines { get; }

    public IObserver<OutgoingLine> Writer => this;

    /// <summary>Completes when the socket is closed (or aborted); never fails.</summary>
    public Task Closed => _closed.Task;

    void IObserver<OutgoingLine>.OnNext(OutgoingLine line)
    {
        if (_completed || _failed)
        {
            return;
        }

        switch (_outbox.Offer(line, _bound))
        {
            case Admission.Dropped:
                _metrics?.LinesDropped.Add(1);
                return;
            case Admission.Overflowed:
                Stop(DisconnectReason.SlowConsumer);
                return;
        }

        Kick();
    }

    void IObserver<OutgoingLine>.OnCompleted() => Complete();

    void IObserver<OutgoingLine>.OnError(Exception error) => Complete();

    /// <summary>Closes at once, without flushing (the end of a shutdown that ran out of time). Any thread.</summary>
    public void Abort()
    {
        _failed = true;
        _socket.Abort();
        Kick();
    }

    private void Complete()
    {
        if (!_completed)
        {
            _completed = true;
            Kick();
        }
    }

    // Starts a send loop unless one runs: at the end of this thread's send batch, or on the pool.
    private void Kick()
    {
        if (Interlocked.CompareExchange(ref _sending, 1, 0) == 0)
        {
            SendBatch.Schedule(RunSends, this);
        }
    }

    // Ends the connection from this side (the writer's): nothing more is queued (what is queued is still written),
    // and the lines end with the reason. From the pool, not here: this runs inside the broadcaster's step, and the
    // departure must come after it.
    private void Stop(DisconnectReason reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, (int)reason, -1) == -1)
        {
            TransportLog.Stopped(_logger, Id, reason);
            Complete();
            ThreadPool.UnsafeQueueUserWorkItem(static c => c._stopped.OnNext(true), this, preferLocal: false);
        }
    }

    // Reads messages until the client's close or a failure. The lines of one receive form one send batch, as a line
    // connection's lines of one read do. After a binary message the lines end, and what else the client sends is
    // read and discarded until its close (the answer to ours) or the abort.
    private async Task ReadAsync(IObserver<ReceivedLine> observer)
    {
        var framer = new LineFramer(_options.MaxLineLength);
        var input = new ReceiveBuffer();

        // Whether the message under way has given a line yet (an empty message is one empty line).
        var gave = false;
        var ended = false;
        try
        {
            while (true)
            {
                // Wait for a message without a buffer: an idle connection holds none. A zero-byte receive returns once
                // a frame arrives (at the end of an empty message, its end).
                var result = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
                if (result.MessageType != WebSocketMessageType.Close && !result.EndOfMessage)
                {
                    result = await _socket.ReceiveAsync(input.ReserveMemory(), CancellationToken.None).ConfigureAwait(false);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (ended)
                {
                    input.Release();
                    continue;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    // PROTOCOL.md, Web door: a binary message closes the socket with 1003; the client has broken the
                    // protocol, as a reset would.
                    _binary = true;
                    ended = true;
                    input.Release();
                    TransportLog.ReadFailed(_logger, Id, "a binary message");
                    observer.OnError(new ConnectionClosedException("the client sent a binary message"));
                    continue;
                }

                input.Commit(result.Count);
                var buffer = input.Data;
                using (SendBatch.Begin())
                {
                    while (framer.TryRead(ref buffer, out var line))
                    {
                        gave = true;
                        _metrics?.LinesReceived.Add(1);
                        observer.OnNext(line);
                    }

                    if (result.EndOfMessage)
                    {
                        // The message's end ends its last line; an empty message is an empty line.
                        if (framer.TryReadFinal(buffer, out var last) || (!gave && buffer.IsEmpty && IsEmptyLine(out last)))
                        {
                            _metrics?.LinesReceived.Add(1);
                            observer.OnNext(last);
                        }

                        buffer = buffer.Slice(buffer.End);
                        framer = new LineFramer(_options.MaxLineLength);
                        gave = false;
                    }
                }

                input.Keep(buffer);
            }

            if (!ended)
            {
                TransportLog.EndOfStream(_logger, Id);
                observer.OnCompleted();
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            // A reset, an aborted socket, a protocol error the socket itself answered (invalid UTF-8: 1007).
            if (!ended)
            {
                TransportLog.ReadFailed(_logger, Id, e.Message);
                observer.OnError(Volatile.Read(ref _closeReason) is var reason and not -1 ? new ConnectionClosedException((DisconnectReason)reason) : e);
            }
        }
        catch (Exception e)
        {
            // A bug, not the network: keep it with this connection, and say so.
            TransportLog.Unexpected(_logger, Id, e);
            if (!ended)
            {
                observer.OnError(e);
            }
        }
        finally
        {
            input.Release();
            _readEnded.TrySetResult();
        }
    }

    private static bool IsEmptyLine(out ReceivedLine line)
    {
        line = new ReceivedLine(string.Empty);
        return true;
    }

    // Writes what waits, one message per line, until nothing does; then it ends, or, once the writer has completed
    // and everything is written, closes the socket.
    private async Task SendAsync()
    {
        try
        {
            while (true)
            {
                while (!_failed && _outbox.TryPeek(out var line))
                {
                    _outbox.Dequeue();
                    await _socket.SendAsync(line.Utf8[..^1], WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                    _bound.Left(line.TakesSlot ? 1 : 0);
                    _metrics?.LinesDelivered.Add(1);
                }

                if (_failed)
                {
                    break;
                }

                if (_completed)
                {
                    if (_outbox.TryPeek(out _))
                    {
                        continue;
                    }

                    break;
                }

                // Nothing waits: stop, unless a line came in between (its writer saw this loop still running).
                Volatile.Write(ref _sending, 0);
                if ((!_outbox.TryPeek(out _) && !_completed) || Interlocked.CompareExchange(ref _sending, 1, 0) != 0)
                {
                    return;
                }
            }

            if (!_failed)
            {
                var (status, description) = _binary ? (WebSocketCloseStatus.InvalidMessageType, "text messages only")
                    : _stopping() ? (WebSocketCloseStatus.EndpointUnavailable, "server shutting down")
                    : (WebSocketCloseStatus.NormalClosure, (string?)null);
                if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(status, description, CancellationToken.None).ConfigureAwait(false);
                }

                // The client answers with its own close, which ends the reader; a client that does not is cut off.
                await Task.WhenAny(_readEnded.Task, Observable.Timer(LingerTimeout, _scheduler).ToTask()).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            TransportLog.WriteFailed(_logger, Id, e.Message);
        }
        catch (Exception e)
        {
            // A bug, not the network: it ends this connection only, and says so. Closed never fails.
            TransportLog.Unexpected(_logger, Id, e);
        }

        // Here only once: _sending stays 1, so no loop starts again. Aborting ends a read still under way: the core then
        // hears of the departure.
        _failed = true;
        _socket.Abort();
        _closed.TrySetResult();
    }
}
