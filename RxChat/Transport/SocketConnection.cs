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
/// One accepted TCP socket as an <see cref="IChatConnection"/>. Reading: a <see cref="PipeReader"/> over the socket,
/// framed by <see cref="LineFramer"/>. Writing: lines wait in an outbox; one send loop takes whatever is queued
/// and writes it with one gather write (several lines, one system call), so a socket that blocks delays
/// nobody but its own connection. A failed write ends this connection only.
/// </summary>
internal sealed class SocketConnection : IChatConnection, IObserver<OutgoingLine>
{
    // Most lines queued for one gather write; bounds the segment list, not the outbox.
    private const int MaxLinesPerWrite = 256;

    // How long a closing connection keeps reading (and discarding) for the peer's end of stream, so that unread
    // input does not turn the close into a reset that could destroy the last lines sent (a lingering close).
    private static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly int _maxLineLength;
    private readonly IScheduler _scheduler;
    private readonly ILogger _logger;
    private readonly Channel<OutgoingLine> _outbox = Channel.CreateUnbounded<OutgoingLine>(new() { SingleReader = true, SingleWriter = true });
    private readonly TaskCompletionSource _readEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SocketConnection(ConnectionId id, Socket socket, int maxLineLength, IScheduler scheduler, ILogger logger)
    {
        Id = id;
        _socket = socket;
        _maxLineLength = maxLineLength;
        _scheduler = scheduler;
        _logger = logger;
        RemoteAddress = EndPointText.Format(socket.RemoteEndPoint);
        Lines = Observable.Create<ReceivedLine>(ReadAsync);
        Sending = SendAsync();
    }

    public ConnectionId Id { get; }

    public string RemoteAddress { get; }

    public IObservable<ReceivedLine> Lines { get; }

    public IObserver<OutgoingLine> Writer => this;

    /// <summary>Completes when the socket is closed.</summary>
    public Task Sending { get; }

    void IObserver<OutgoingLine>.OnNext(OutgoingLine value) => _outbox.Writer.TryWrite(value);

    void IObserver<OutgoingLine>.OnCompleted() => _outbox.Writer.TryComplete();

    void IObserver<OutgoingLine>.OnError(Exception error) => _outbox.Writer.TryComplete();

    private async Task ReadAsync(IObserver<ReceivedLine> observer, CancellationToken cancellation)
    {
        var reader = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false), new StreamPipeReaderOptions(leaveOpen: false));
        var framer = new LineFramer(_maxLineLength);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellation).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (framer.TryRead(ref buffer, out var line))
                {
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
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Unsubscribed: the server stopped, and nobody will write to this connection any more.
            _outbox.Writer.TryComplete();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            TransportLog.ReadFailed(_logger, Id, e.Message);
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
        var batch = new List<ArraySegment<byte>>(MaxLinesPerWrite);
        var reader = _outbox.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < MaxLinesPerWrite && reader.TryRead(out var line))
                {
                    batch.Add(line.Segment);
                }

                await _socket.SendAsync(batch, SocketFlags.None).ConfigureAwait(false);
                batch.Clear();
            }

            // Done: end our side, then give the peer a moment to end its own before the socket goes.
            _socket.Shutdown(SocketShutdown.Send);
            await Task.WhenAny(_readEnded.Task, Observable.Timer(LingerTimeout, _scheduler).ToTask()).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The reader sees the closed socket and reports the departure.
            TransportLog.WriteFailed(_logger, Id, e.Message);
            _outbox.Writer.TryComplete();
        }
        finally
        {
            _socket.Dispose();
        }
    }
}
