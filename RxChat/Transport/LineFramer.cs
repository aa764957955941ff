using System.Buffers;
using System.Text;
using RxChat.Core;

namespace RxChat.Transport;

/// <summary>
/// Splits received bytes into lines (PROTOCOL.md, Transport, and Limits: line length). A line ends with <c>\n</c>;
/// a <c>\r</c> right before it is dropped; the text is decoded from UTF-8 with U+FFFD replacement. A line longer
/// than the limit is reported once as <see cref="ReceivedLine.TooLong"/> as soon as the limit is passed, and
/// its bytes are skipped up to its <c>\n</c> without being kept, so the framer never holds more than the limit
/// plus one byte (a possible <c>\r</c>) of an unfinished line.
/// </summary>
/// <param name="maxLength">The longest line in bytes, without the terminator; 0 for no limit.</param>
internal struct LineFramer(int maxLength)
{
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private bool _discarding;

    /// <summary>
    /// Takes the next line, or the over-long report, from the start of <paramref name="buffer"/>, and slices off
    /// what it consumed. Returns false when the buffer holds no complete line; keep the rest and read more.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> buffer, out ReceivedLine line)
    {
        while (true)
        {
            var newline = buffer.PositionOf((byte)'\n');
            if (_discarding)
            {
                if (newline is null)
                {
                    buffer = buffer.Slice(buffer.End);
                    line = default;
                    return false;
                }

                buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
                _discarding = false;
                continue;
            }

            if (newline is null)
            {
                if (IsOverLimitWithoutEnd(buffer))
                {
                    buffer = buffer.Slice(buffer.End);
                    _discarding = true;
                    line = ReceivedLine.TooLong;
                    return true;
                }

                line = default;
                return false;
            }

            var content = buffer.Slice(0, newline.Value);
            buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
            if (content.Length > 0 && EndsWithCarriageReturn(content))
            {
                content = content.Slice(0, content.Length - 1);
            }

            line = maxLength > 0 && content.Length > maxLength ? ReceivedLine.TooLong : new ReceivedLine(Utf8.GetString(content));
            return true;
        }
    }

    /// <summary>
    /// At a clean end of stream: the final line without <c>\n</c>, if <paramref name="rest"/> holds one
    /// (PROTOCOL.md, Transport).
    /// </summary>
    public readonly bool TryReadFinal(ReadOnlySequence<byte> rest, out ReceivedLine line)
    {
        if (_discarding || rest.IsEmpty)
        {
            line = default;
            return false;
        }

        line = maxLength > 0 && rest.Length > maxLength ? ReceivedLine.TooLong : new ReceivedLine(Utf8.GetString(rest));
        return true;
    }

    // Without its end in sight a line is over the limit once it has more than the limit's bytes, unless the one
    // extra byte is a '\r' that the coming '\n' would drop.
    private readonly bool IsOverLimitWithoutEnd(ReadOnlySequence<byte> buffer) =>
        maxLength > 0 && (buffer.Length > maxLength + 1 || (buffer.Length == maxLength + 1 && !EndsWithCarriageReturn(buffer)));

    private static bool EndsWithCarriageReturn(ReadOnlySequence<byte> bytes) =>
        bytes.Slice(bytes.Length - 1).FirstSpan[0] == (byte)'\r';
}
