using System.Text;

namespace RxChat.Core;

/// <summary>
/// One line the server sends, encoded once as UTF-8 with its final <c>\n</c> so that a broadcast shares
/// the same bytes across every recipient (PROTOCOL.md, Transport: every line ends with <c>\n</c>).
/// Immutable and safe to share between threads.
/// </summary>
public sealed class OutgoingLine
{
    private readonly byte[] _utf8;

    // The terminator's bytes: 1 for \n, 2 for IRC's \r\n.
    private readonly int _terminator;

    /// <summary>Creates a line from its text, which must not hold <c>\n</c>.</summary>
    /// <param name="text">The text without the line terminator.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="text"/> contains a <c>\n</c>.</exception>
    public OutgoingLine(string text)
        : this(text, isClosing: false)
    {
    }

    internal OutgoingLine(string text, bool isClosing, bool isNotice = false, bool crlf = false)
    {
        IsClosing = isClosing;
        IsNotice = isNotice;
        ArgumentNullException.ThrowIfNull(text);
        if (text.Contains('\n'))
        {
            throw new ArgumentException("An outgoing line must not contain a newline.", nameof(text));
        }

        _terminator = crlf ? 2 : 1;
        _utf8 = new byte[Encoding.UTF8.GetByteCount(text) + _terminator];
        Encoding.UTF8.GetBytes(text, _utf8);
        if (crlf)
        {
            _utf8[^2] = (byte)'\r';
        }

        _utf8[^1] = (byte)'\n';
    }

    /// <summary>What the line means, for a door that renders it in its own form; null for a line shown by its text.</summary>
    internal ChatMessage? Message { get; init; }

    /// <summary>
    /// A door's rendering of this line, made once by the first writer of that door that needs it and shared by the
    /// others (a broadcast reaches many clients of one door); see <see cref="Rendered{T}"/>.
    /// </summary>
    private object? _rendering;

    /// <summary>
    /// This line as a door renders it: <paramref name="render"/> runs once per line, on whichever writer comes first
    /// (a race makes it run twice at worst; both results are equal and one is kept).
    /// </summary>
    internal T Rendered<T>(Func<OutgoingLine, T> render)
        where T : class
    {
        if (Volatile.Read(ref _rendering) is T done)
        {
            return done;
        }

        var made = render(this);
        return Interlocked.CompareExchange(ref _rendering, made, null) as T ?? made;
    }

    /// <summary>
    /// A connection's last line (<c>Disconnected: idle</c>, <c>Server shutting down</c>): never dropped, and
    /// takes no outbox slot (PROTOCOL.md, Limits and bad input, slow clients).
    /// </summary>
    public bool IsClosing { get; }

    /// <summary>The <c>(N messages dropped)</c> line, which takes no outbox slot.</summary>
    internal bool IsNotice { get; }

    /// <summary>Whether the line counts against the outbox bound: every line but closing lines and notices.</summary>
    internal bool TakesSlot => !IsClosing && !IsNotice;

    /// <summary>
    /// The text, without the line terminator, decoded from <see cref="Utf8"/> on each call: a line waiting in an
    /// outbox holds its bytes only (a 1 KB line costs 1 KB, not 3).
    /// </summary>
    public string Text => Encoding.UTF8.GetString(_utf8, 0, _utf8.Length - _terminator);

    /// <summary>The UTF-8 bytes of <see cref="Text"/> followed by <c>\n</c>; the bytes a socket writes.</summary>
    public ReadOnlyMemory<byte> Utf8 => _utf8;

    /// <summary>The same bytes as <see cref="Utf8"/>, as a socket's gather write takes them.</summary>
    internal ArraySegment<byte> Segment => _utf8;

    /// <summary>Returns <see cref="Text"/>.</summary>
    public override string ToString() => Text;
}
