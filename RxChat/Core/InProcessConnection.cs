using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text;

namespace RxChat.Core;

/// <summary>
/// A connection without a socket: a bot or a bridge in the same process. Its lines are framed as a TCP client's
/// would be (a string holding <c>\n</c> is several lines; a <c>\r</c> before it is dropped; the line-length limit
/// counts UTF-8 bytes), and it receives the same texts a TCP client reads.
/// </summary>
public sealed class InProcessConnection : IChatConnection, IObserver<OutgoingLine>
{
    private static long s_lastId;

    private readonly IObserver<string> _received;
    private readonly AsyncSubject<bool> _ended = new();
    private int _done;

    /// <summary>Creates a connection; it joins the chat when a broadcaster takes it from its connections.</summary>
    /// <param name="lines">What the client says. Completing it is a clean end of stream; failing it, a reset.</param>
    /// <param name="received">Receives every line the server sends the client, then completes when the server closes it.</param>
    /// <param name="maxLineLength">The line-length limit in UTF-8 bytes (0: none).</param>
    /// <param name="remoteAddress">The address shown for it (its name when it answers the prompt with an empty line).</param>
    /// <exception cref="ArgumentNullException"><paramref name="lines"/>, <paramref name="received"/> or <paramref name="remoteAddress"/> is null.</exception>
    public InProcessConnection(IObservable<string> lines, IObserver<string> received, int maxLineLength = 4096, string remoteAddress = "in-process")
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(received);
        ArgumentNullException.ThrowIfNull(remoteAddress);
        Id = new ConnectionId(Interlocked.Decrement(ref s_lastId));
        RemoteAddress = remoteAddress;
        _received = received;
        Lines = lines
            .TakeUntil(_ended)
            .SelectMany(text => text.Split('\n'), (_, line) => Frame(line.EndsWith('\r') ? line[..^1] : line, maxLineLength));
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
        if (Volatile.Read(ref _done) == 0)
        {
            _received.OnNext(value.Text);
        }
    }

    void IObserver<OutgoingLine>.OnCompleted()
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            Leave();
            _received.OnCompleted();
        }
    }

    void IObserver<OutgoingLine>.OnError(Exception error) => ((IObserver<OutgoingLine>)this).OnCompleted();

    private static ReceivedLine Frame(string line, int maxLineLength) =>
        maxLineLength > 0 && Encoding.UTF8.GetByteCount(line) > maxLineLength ? ReceivedLine.TooLong : new ReceivedLine(line);
}
