namespace RxChat.Core;

/// <summary>
/// One complete line as a transport framed it: the text without its <c>\n</c> or <c>\r\n</c>, decoded from UTF-8
/// with U+FFFD replacement (PROTOCOL.md, Transport). Not yet sanitised: the core does that.
/// </summary>
/// <param name="Text">The decoded text; empty when <paramref name="IsTooLong"/> is set.</param>
/// <param name="IsTooLong">
/// The line passed the line-length limit (bytes as received, PROTOCOL.md, Limits) and was discarded
/// without being buffered; the core answers <c>error: line too long</c>.
/// </param>
public readonly record struct ReceivedLine(string Text, bool IsTooLong = false)
{
    /// <summary>What a door says beside the text (IRC's <c>JOIN</c>, say); null for a plain line.</summary>
    internal DoorCommand? Command { get; init; }

    /// <summary>The line that stands for a discarded over-long line.</summary>
    public static ReceivedLine TooLong { get; } = new(string.Empty, IsTooLong: true);

    /// <summary>Wraps a complete line's text.</summary>
    public static implicit operator ReceivedLine(string text) => new(text);
}
