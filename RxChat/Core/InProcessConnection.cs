using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;

namespace RxChat.Core;

/// <summary>
/// A connection without a socket: a bot or a bridge in the same process. Its lines are framed as a TCP client's
/// would be (a string holding <c>\n</c> is several lines; a <c>\r</c> before it is dropped; the line-length limit
/// counts UTF-8 bytes), and it receives the same texts a TCP client reads, on the thread pool
/// (<see cref="ChatSchedulers.Pool"/>), never on the broadcaster's thread: a bot that answers at once must not
/// answer inside the step it is answering. Its outbox is bounded as a TCP client's (PROTOCOL.md, Limits and bad
/// input, slow clients): lines it has not yet been handed count against the capacity.
/// </summary>
public sealed class InProcessConnection : IChatConnection, IObserver<OutgoingLine>
{
    private static long s_lastId;

    private readonly IObserver<string> _received;
    private readonly OutboxBound _bound;
    private readonly Subject<OutgoingLine> _outbox = new();
    private readonly AsyncSubject<bool> _ended = new();
    private int _stopped;
    private int _done;

    /// <summary>Creates a connection; it joins the chat when a broadcaster takes it from its connections.</summary>
    /// <param name="lines">What the client says. Completing it is a clean end of stream; failing it, a reset.</param>
    /// <param name="received">
    /// Receives every line the server sends the client, in order, on the thread pool, then completes when the
    /// server closes it.
    /// </param>
    /// <param name="maxLineLength">The line-length limit in UTF-8 bytes (0: none).</param>
    /// <param name="remoteAddress">The address shown for it (its name when it answers the prompt with an empty line).</param>
    /// <param name="outboxCapacity">Lines that may wait for <paramref name="received"/> (0: unbounded).</param>
    /// <param name="slowClientPolicy">What a full outbox does: drop further lines, or disconnect.</param>
    /// <exception cref="ArgumentNullException"><paramref name="lines"/>, <paramref name="received"/> or <paramref name="remoteAddress"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="outboxCapacity"/> is negative.</exception>
    public InProcessConnection(
        IObservable<string> lines, IObserver<string> received, int maxLineLength = 4096, string remoteAddress = "in-process",
        int outboxCapacity = 1024, SlowClientPolicy slowClientPolicy = SlowClientPolicy.Drop)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(received);
        ArgumentNullException.ThrowIfNull(remoteAddress);
        ArgumentOutOfRangeException.ThrowIfNegative(outboxCapacity);
        Id = new ConnectionId(Interlocked.Decrement(ref s_lastId));
        RemoteAddress = remoteAddress;
        _received = received;
        _bound = new OutboxBound(outboxCapacity, slowClientPolicy);
        _outbox.ObserveOn(ChatSchedulers.Pool).Subscribe(Deliver, Finish);
        var stopped = Observable.Defer(() => Volatile.Read(ref _stopped) == 1
            ? Observable.Throw<ReceivedLine>(new ConnectionClosedException(DisconnectReason.SlowConsumer))
            : Observable.Empty<ReceivedLine>());
        Lines = lines
            .TakeUntil(_ended)
            .SelectMany(text => text.Split('\n'), (_, line) => Frame(line.EndsWith('\r') ? line[..^1] : line, maxLineLength))
            .Concat(stopped);
    }

    /// <summary>The connection's id: in-process connections count down from -1, clear of transports' ids.</summary>
    public ConnectionId Id { get; }

    /// <inheritdoc/>
    public string RemoteAddress { get; }

    /// <inheritdoc/>
    public IObservable<ReceivedLine> Lines { get; }

    /// <inheritdoc/>
    public IObserver<OutgoingLine> Writer => this;

    /// <summary>Leaves: a clean end of stream, as a TCP client closing its side. Idempotent.</summary>
    public void Leave()
    {
        _ended.OnNext(true);
        _ended.OnCompleted();
    }

    void IObserver<OutgoingLine>.OnNext(OutgoingLine value)
    {
        if (Volatile.Read(ref _stopped) == 1)
        {
            return;
        }

        switch (_bound.Admit(value, out var notice))
        {
            case Admission.Dropped:
                return;
            case Admission.Overflowed:
                // A slow consumer under the disconnect policy: its lines end with that reason, from the pool, not
                // inside the broadcaster's step. What is queued is still handed over.
                Volatile.Write(ref _stopped, 1);
                _outbox.OnCompleted();
                ThreadPool.UnsafeQueueUserWorkItem(static c => c.Leave(), this, preferLocal: false);
                return;
        }

        if (notice is not null)
        {
            _outbox.OnNext(notice);
        }

        _outbox.OnNext(value);
    }

    void IObserver<OutgoingLine>.OnCompleted() => _outbox.OnCompleted();

    void IObserver<OutgoingLine>.OnError(Exception error) => _outbox.OnCompleted();

    private void Deliver(OutgoingLine line)
    {
        if (Volatile.Read(ref _done) == 0)
        {
            _received.OnNext(line.Text);
        }

        if (line.TakesSlot)
        {
            _bound.Left(1);
        }
    }

    private void Finish()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Leave();
            _received.OnCompleted();
        }
    }

    private static ReceivedLine Frame(string line, int maxLineLength) =>
        maxLineLength > 0 && Encoding.UTF8.GetByteCount(line) > maxLineLength ? ReceivedLine.TooLong : new ReceivedLine(line);
}
