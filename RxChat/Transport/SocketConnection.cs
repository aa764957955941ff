using System.IO.Pipelines;
using System.Net.Sockets;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using RxChat.Core;

namespace RxChat.Transport;

/// <summary>
/// One accepted TCP socket as an <see cref="IChatConnection"/>.
/// Reading: a <see cref="PipeReader"/> over the socket, framed by <see cref="LineFramer"/>.
/// Writing: the writer (called on the writer scheduler, never concurrently) puts lines in a bounded outbox and
/// never waits; one send loop takes whatever is queued and writes it with one gather write (several lines, one
/// system call). A slow client therefore delays nobody: when its outbox is full its lines are dropped and
/// counted, and the next line that fits is preceded by <c>(N messages dropped)</c>, or under the
/// <see cref="SlowClientPolicy.Disconnect"/> policy it is closed (PROTOCOL.md, Limits and bad input; the book's
/// exercise 8.15). A failed write ends this connection only.
/// </summary>
internal sealed class SocketConnection : IChatConnection, IObserver<OutgoingLine>
{
    // Most lines in one gather write; bounds the segment list, not the outbox.
    private const int MaxLinesPerWrite = 256;

    // How long a closing connection, its lines written and its side shut, waits for the peer's end of stream
    // before it closes the socket: input arriving after the close would turn it into a reset, which can destroy
    // the last lines before the peer reads them. The reader keeps draining meanwhile. Short, because nc and
    // telnet do not close on the server's end of stream, and shutdown waits for this.
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly ChatServerOptions _options;
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly Channel<Queued> _outbox = Channel.CreateUnbounded<Queued>(new() { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _readEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopReading = new();
    private readonly CancellationTokenRegistration _abort;

    // Lines in the outbox that take a slot; written by the writer, decremented by the send loop.
    private int _queued;

    // Lines dropped since the last one that fitted; the writer's alone.
    private long _dropped;

    // The first reason this side ended the connection (-1: none yet); first cause wins.
    private int _closeReason = -1;

    private readonly ChatMetrics? _metrics;

    public SocketConnection(ConnectionId id, Socket socket, ChatServerOptions options, IScheduler scheduler, ILogger logger, CancellationToken abort, ChatMetrics? metrics = null)
    {
        _metrics = metrics;
        Id = id;
        _socket = socket;
        _options = options;
        _scheduler = scheduler;
        _logger = logger;
        RemoteAddress = EndPointText.Format(socket.RemoteEndPoint);
        Lines = Observable.Create<ReceivedLine>(ReadAsync);
        _abort = abort.Register(static c => ((SocketConnection)c!).Abort(), this);
        Closed = SendAsync();
    }

    public ConnectionId Id { get; }

    public string RemoteAddress { get; }

    public IObservable<ReceivedLine> Lines { get; }

    public IObserver<OutgoingLine> Writer => this;

    /// <summary>Completes when the socket is closed; never fails.</summary>
    public Task Closed { get; }

    /// <summary>Socket writes made (each carries one or more lines).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    private long _writes;

    void IObserver<OutgoingLine>.OnNext(OutgoingLine line)
    {
        var capacity = _options.OutboxCapacity;
        if (!line.IsClosing && capacity > 0 && Volatile.Read(ref _queued) >= capacity)
        {
            if (_options.SlowClientPolicy == SlowClientPolicy.Disconnect)
            {
                Stop(DisconnectReason.SlowConsumer);
                return;
            }

            _dropped++;
            _metrics?.LinesDropped.Add(1);
            return;
        }

        if (_dropped > 0 && _outbox.Writer.TryWrite(new Queued(new OutgoingLine($"({_dropped} messages dropped)"), TakesSlot: false)))
        {
            _dropped = 0;
        }

        var takesSlot = !line.IsClosing;
        if (takesSlot)
        {
            Interlocked.Increment(ref _queued);
        }

        if (!_outbox.Writer.TryWrite(new Queued(line, takesSlot)) && takesSlot)
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    void IObserver<OutgoingLine>.OnCompleted() => _outbox.Writer.TryComplete();

    void IObserver<OutgoingLine>.OnError(Exception error) => _outbox.Writer.TryComplete();

    // Closes at once, without flushing (the end of a shutdown that ran out of time).
    private void Abort()
    {
        _outbox.Writer.TryComplete();
        _socket.Dispose();
    }

    // Ends the connection from this side: nothing more is queued (what is queued is still written) and the
    // lines fail with the reason, which the core turns into the departure.
    private void Stop(DisconnectReason reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, (int)reason, -1) == -1)
        {
            TransportLog.Stopped(_logger, Id, reason);
            _outbox.Writer.TryComplete();
            _stopReading.Cancel();
        }
    }

    private async Task ReadAsync(IObserver<ReceivedLine> observer, CancellationToken unsubscribed)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(unsubscribed, _stopReading.Token);
        var reader = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false), new StreamPipeReaderOptions(leaveOpen: false, useZeroByteReads: true));
        var framer = new LineFramer(_options.MaxLineLength);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellation.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (framer.TryRead(ref buffer, out var line))
                {
                    _metrics?.LinesReceived.Add(1);
                    observer.OnNext(line);
                }

                if (result.IsCompleted)
                {
                    if (framer.TryReadFinal(buffer, out var last))
                    {
                        observer.OnNext(last);
                    }

                    break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }

            TransportLog.EndOfStream(_logger, Id);
            observer.OnCompleted();
        }
        catch (OperationCanceledException) when (_stopReading.IsCancellationRequested)
        {
            observer.OnError(new ConnectionClosedException((DisconnectReason)_closeReason));
        }
        catch (OperationCanceledException) when (unsubscribed.IsCancellationRequested)
        {
            // Unsubscribed (an idle timeout, say): the core has already decided this connection's end.
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            TransportLog.ReadFailed(_logger, Id, e.Message);
            observer.OnError(e);
        }
        catch (Exception e)
        {
            // A bug, not the network: keep it with this connection, and say so.
            TransportLog.Unexpected(_logger, Id, e);
            observer.OnError(e);
        }
        finally
        {
            _readEnded.TrySetResult();
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private async Task SendAsync()
    {
        var batch = new List<ArraySegment<byte>>();
        var reader = _outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                // The writer hands over one line per ObserveOn hop; with a single line waiting, step back once so
                // that the lines already on their way join this write (measured: about one send per delivered line
                // without it).
                if (Volatile.Read(ref _queued) < 2)
                {
                    await Task.Yield();
                }

                var taken = 0;
                while (batch.Count < MaxLinesPerWrite && reader.TryRead(out var queued))
                {
                    batch.Add(queued.Line.Segment);
                    taken += queued.TakesSlot ? 1 : 0;
                }

                await _socket.SendAsync(batch, SocketFlags.None).ConfigureAwait(false);
                Interlocked.Increment(ref _writes);
                _metrics?.LinesDelivered.Add(batch.Count);
                Interlocked.Add(ref _queued, -taken);
                batch.Clear();
            }

            // Done: end our side, then give the peer a moment to end its own before the socket goes.
            _socket.Shutdown(SocketShutdown.Send);
            await Task.WhenAny(_readEnded.Task, Observable.Timer(LingerTimeout, _scheduler).ToTask()).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            TransportLog.WriteFailed(_logger, Id, e.Message);
            _outbox.Writer.TryComplete();
        }
        catch (Exception e)
        {
            // A bug, not the network: it ends this connection only, and says so. Closed never fails.
            TransportLog.Unexpected(_logger, Id, e);
            _outbox.Writer.TryComplete();
        }
        finally
        {
            // Closing the socket ends a read still under way: the core then hears of the departure.
            _socket.Dispose();
            await _abort.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A line in the outbox; the dropped-lines notice and closing lines take no slot.</summary>
    private readonly record struct Queued(OutgoingLine Line, bool TakesSlot);
}
