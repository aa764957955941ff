using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging;
using RxChat.Core;

namespace RxChat.Transport;

/// <summary>
/// One accepted TCP socket as an <see cref="IChatConnection"/>.
/// Reading: zero-byte receives, then what the socket holds into a pooled buffer framed by <see cref="LineFramer"/>
/// (an idle connection holds no buffer, one with an unfinished line only that line); the lines of one read form
/// one <see cref="SendBatch"/>.
/// Writing: the writer (called on the writer scheduler, never concurrently; with <see cref="WriterScheduler"/> on the
/// broadcaster's thread) puts each line in the <see cref="Outbox"/>, by reference, and never waits; a send loop,
/// started when lines wait and none runs, copies what has gathered into one pooled buffer per system call. The
/// outbox is bounded by <see cref="ChatServerOptions.OutboxCapacity"/> lines (<see cref="OutboxBound"/>): a slow client
/// delays nobody; when its outbox is full its lines are dropped and counted, and the next line that fits is
/// preceded by <c>(N messages dropped)</c>, or under the <see cref="SlowClientPolicy.Disconnect"/> policy it is closed
/// (PROTOCOL.md, Limits and bad input; the book's exercise 8.15). A failed write ends this connection only.
/// Over TLS (a connection of a TLS door, its handshake done by the listener) the same code reads and writes through
/// an <see cref="SslStream"/> on the socket: zero-byte reads there too (the stream takes a buffer only once a record
/// arrives, and gives it back once it is read), one TLS record per send, and <c>close_notify</c> before the socket's
/// own end. Everything else (framing, limits, outbox, batching, idle, slow clients, shutdown) is one code path.
/// </summary>
internal sealed class SocketConnection : IChatConnection, IObserver<OutgoingLine>
{
    // How long a closing connection, its lines written and its side shut, waits for the peer's end of stream
    // before it closes the socket: input arriving after the close would turn it into a reset, which can destroy
    // the last lines before the peer reads them. The reader keeps draining meanwhile. Short, because nc and
    // telnet do not close on the server's end of stream, and shutdown waits for this.
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(1);

    private static readonly Action<object?> RunSends = static c => _ = ((SocketConnection)c!).SendAsync();

    // Bytes one send copies at most (a longer line goes out on its own, from its own bytes).
    private const int SendBufferSize = 16 * 1024;

    private readonly Socket _socket;

    // The TLS stream over the socket, for a connection of a TLS door; null for plain TCP, whose path is the socket's
    // own calls, untouched.
    private readonly SslStream? _tls;
    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly Outbox _outbox = new();
    private readonly OutboxBound _bound;
    private readonly TaskCompletionSource _readEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _abort;
    private readonly ChatMetrics? _metrics;
    private readonly Action? _onClosed;

    // 1 while a send loop runs or is scheduled; it stays 1 once the connection is closed.
    private int _sending;

    // The writer has completed: no more lines come.
    private volatile bool _completed;

    // The socket failed or was aborted: nothing more is written.
    private volatile bool _failed;

    // The first reason this side ended the connection (-1: none yet); first cause wins.
    private int _closeReason = -1;

    private long _writes;

    public SocketConnection(ConnectionId id, Socket socket, ChatServerOptions options, IScheduler scheduler, ILogger logger, CancellationToken abort, ChatMetrics? metrics = null, Action? closed = null, SslStream? tls = null)
    {
        _metrics = metrics;
        _onClosed = closed;
        Id = id;
        _socket = socket;
        _tls = tls;
        if (tls is null)
        {
            _socket.Blocking = false; // a receive after the zero-byte wait takes what is there and never waits
        }
        _options = options;
        _scheduler = scheduler;
        _logger = logger;
        _bound = new OutboxBound(options.OutboxCapacity, options.SlowClientPolicy);
        RemoteAddress = EndPointText.Format(socket.RemoteEndPoint);
        Lines = Observable.Create<ReceivedLine>(observer =>
        {
            // Unsubscribing does not stop the read: the connection's end does, once the core closes it.
            _ = ReadAsync(observer);
            return Disposable.Empty;
        });
        _abort = abort.Register(static c => ((SocketConnection)c!).Abort(), this);
    }

    public ConnectionId Id { get; }

    public string RemoteAddress { get; }

    public IObservable<ReceivedLine> Lines { get; }

    public IObserver<OutgoingLine> Writer => this;

    /// <summary>Makes the <c>(N messages dropped)</c> line for a door that says it in its own form; set before the first line.</summary>
    public Func<long, OutgoingLine>? DroppedNotice
    {
        get => _bound.DroppedNotice;
        set => _bound.DroppedNotice = value;
    }

    /// <summary>Completes when the socket is closed; never fails.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Socket writes made (each carries one or more lines).</summary>
    public long Writes => Interlocked.Read(ref _writes);

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

    // The writer's end: the send loop writes what is queued, then closes the connection.
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

    // Closes at once, without flushing (the end of a shutdown that ran out of time). Any thread.
    private void Abort()
    {
        _failed = true;
        _socket.Dispose();
        Kick();
    }

    // Ends the connection from this side (the writer's): nothing more is queued (what is queued is still written)
    // and the lines fail with the reason, which the core turns into the departure. The reader is stopped from the
    // pool, not here: this runs inside the broadcaster's step, and the departure must come after it.
    private void Stop(DisconnectReason reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, (int)reason, -1) == -1)
        {
            TransportLog.Stopped(_logger, Id, reason);
            Complete();
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.StopReading(), this, preferLocal: false);
        }
    }

    // Wakes the reader, which then sees the reason. The socket may be gone already; then so is the reader.
    private void StopReading()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    // Reads until the end of the stream, a failure, or this side's stop. Lines go to the observer one read at a
    // time, each read one send batch: every line it makes for a connection goes out in one write. Between reads
    // the connection holds a buffer only for an unfinished line.
    private async Task ReadAsync(IObserver<ReceivedLine> observer)
    {
        var framer = new LineFramer(_options.MaxLineLength);
        var input = new ReceiveBuffer();
        try
        {
            while (true)
            {
                // Wait for data without a buffer (a zero-byte receive): an idle connection holds none.
                int received;
                if (_tls is null)
                {
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    if (Receive(input.Reserve()) is not { } taken)
                    {
                        continue;
                    }

                    received = taken;
                }
                else
                {
                    // The zero-byte read returns once a record is decrypted (or at the end): the read after it copies
                    // what the stream holds without waiting, and the stream's own buffer goes back to the pool when
                    // it is empty.
                    await _tls.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                    received = await _tls.ReadAsync(input.ReserveMemory()).ConfigureAwait(false);
                }

                if (Volatile.Read(ref _closeReason) != -1)
                {
                    // Stopped by this side (a slow consumer): what it still sends is not read.
                    observer.OnError(new ConnectionClosedException((DisconnectReason)_closeReason));
                    return;
                }

                input.Commit(received);
                var buffer = input.Data;
                using (SendBatch.Begin())
                {
                    while (framer.TryRead(ref buffer, out var line))
                    {
                        _metrics?.LinesReceived.Add(1);
                        observer.OnNext(line);
                    }

                    if (received == 0 && framer.TryReadFinal(buffer, out var last))
                    {
                        observer.OnNext(last);
                    }
                }

                if (received == 0)
                {
                    break;
                }

                input.Keep(buffer);
            }

            TransportLog.EndOfStream(_logger, Id);
            observer.OnCompleted();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or AuthenticationException)
        {
            // IOException and AuthenticationException: what a TLS stream makes of a reset or a broken record.
            TransportLog.ReadFailed(_logger, Id, e.Message);
            observer.OnError(Volatile.Read(ref _closeReason) is var reason and not -1 ? new ConnectionClosedException((DisconnectReason)reason) : e);
        }
        catch (Exception e)
        {
            // A bug, not the network: keep it with this connection, and say so.
            TransportLog.Unexpected(_logger, Id, e);
            observer.OnError(e);
        }
        finally
        {
            input.Release();
            _readEnded.TrySetResult();
        }
    }

    // Takes what the socket holds without waiting (the socket is non-blocking): 0 at the end of the stream, null
    // if nothing was there after all.
    private int? Receive(Span<byte> room)
    {
        var received = _socket.Receive(room, SocketFlags.None, out var error);
        return error switch
        {
            SocketError.Success => received,
            SocketError.WouldBlock => null,
            _ => throw new SocketException((int)error),
        };
    }

    // Writes what waits, a pooled buffer's worth per system call, until nothing does; then it ends, or, once the
    // writer has completed and everything is written, closes the connection.
    private async Task SendAsync()
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                while (!_failed && _outbox.TryPeek(out var first))
                {
                    if (first.Utf8.Length > SendBufferSize)
                    {
                        // A line longer than the buffer (a long client list, say) goes out from its own bytes.
                        _outbox.Dequeue();
                        await Send(first.Utf8, first.TakesSlot ? 1 : 0, lines: 1).ConfigureAwait(false);
                        continue;
                    }

                    buffer ??= ArrayPool<byte>.Shared.Rent(SendBufferSize);
                    var (length, lines, slots) = (0, 0, 0);
                    while (_outbox.TryPeek(out var line) && length + line.Utf8.Length <= buffer.Length)
                    {
                        _outbox.Dequeue();
                        line.Utf8.Span.CopyTo(buffer.AsSpan(length));
                        length += line.Utf8.Length;
                        lines++;
                        slots += line.TakesSlot ? 1 : 0;
                    }

                    await Send(buffer.AsMemory(0, length), slots, lines).ConfigureAwait(false);
                }

                if (_failed)
                {
                    break;
                }

                if (_completed)
                {
                    // No line comes after the writer's end; one that came just before it is still written.
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
                // Done: end our side (over TLS, close_notify first), then give the peer a moment to end its own before
                // the socket goes.
                if (_tls is not null)
                {
                    await _tls.ShutdownAsync().ConfigureAwait(false);
                }

                _socket.Shutdown(SocketShutdown.Send);
                await Task.WhenAny(_readEnded.Task, Observable.Timer(LingerTimeout, _scheduler).ToTask()).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or AuthenticationException)
        {
            TransportLog.WriteFailed(_logger, Id, e.Message);
        }
        catch (Exception e)
        {
            // A bug, not the network: it ends this connection only, and says so. Closed never fails.
            TransportLog.Unexpected(_logger, Id, e);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        // Here only once: _sending stays 1, so no loop starts again. Closing the socket ends a read still under way:
        // the core then hears of the departure.
        _failed = true;
        _socket.Dispose();
        _tls?.Dispose();
        await _abort.DisposeAsync().ConfigureAwait(false);
        _closed.TrySetResult();
        _onClosed?.Invoke();
    }

    private async ValueTask Send(ReadOnlyMemory<byte> bytes, int slots, int lines)
    {
        if (_tls is null)
        {
            await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false);
        }
        else
        {
            await _tls.WriteAsync(bytes).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _writes);
        _bound.Left(slots);
        _metrics?.LinesDelivered.Add(lines);
    }
}
