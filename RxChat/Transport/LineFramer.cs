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

            line = maxLength > 0 && content.Length > maxLength ? ReceivedLine.TooLong : new ReceivedLine(Decode(content));
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

        line = maxLength > 0 && rest.Length > maxLength ? ReceivedLine.TooLong : new ReceivedLine(Decode(rest));
        return true;
    }

    /// <summary>
    /// Decodes a line, first removing telnet negotiation (RFC 854/855), which telnet clients send and which would
    /// otherwise reach others as U+FFFD garbage: <c>IAC WILL|WONT|DO|DONT option</c> and <c>IAC SB option ... IAC SE</c>
    /// for options below 32 (whose byte is a control character, never text), and the two-byte commands <c>IAC NOP</c> to
    /// <c>IAC GA</c>. Byte 255 (IAC) never occurs in UTF-8, so text is never taken for a command; any other
    /// invalid byte, a lone IAC included, becomes U+FFFD as PROTOCOL.md, Transport, says (<c>FF FE</c> before a
    /// letter or a space is two U+FFFD, not a command).
    /// </summary>
    internal static string Decode(ReadOnlySequence<byte> bytes)
    {
        if (bytes.PositionOf(Iac) is null)
        {
            return Utf8.GetString(bytes);
        }

        var input = bytes.ToArray();
        var output = new byte[input.Length];
        var n = 0;
        for (var i = 0; i < input.Length; i++)
        {
            var skip = input[i] == Iac ? CommandLength(input, i) : 0;
            if (skip == 0)
            {
                output[n++] = input[i];
            }

            i += Math.Max(0, skip - 1);
        }

        return Utf8.GetString(output, 0, n);
    }

    private const byte Iac = 255, Will = 251, Dont = 254, Subnegotiation = 250, SubnegotiationEnd = 240, Nop = 241, GoAhead = 249;
    // Options below 32: their byte is a control character, never text (NAWS 31, TTYPE 24, ECHO 1, SGA 3, ...).
    private const int MaxOption = 32;

    // The length of the telnet command at input[start] (an IAC), or 0 when it is not one.
    private static int CommandLength(byte[] input, int start)
    {
        var command = start + 1 < input.Length ? input[start + 1] : -1;
        var option = start + 2 < input.Length ? input[start + 2] : MaxOption;
        switch (command)
        {
            case >= Will and <= Dont when option < MaxOption:
                return 3;
            case >= Nop and <= GoAhead:
                return 2;
            case Subnegotiation when option < MaxOption:
                for (var j = start + 3; j + 1 < input.Length; j++)
                {
                    if (input[j] == Iac && input[j + 1] == SubnegotiationEnd)
                    {
                        return j + 2 - start;
                    }
                }

                return input.Length - start;
            default:
                return 0;
        }
    }

    // Without its end in sight a line is over the limit once it has more than the limit's bytes, unless the one
    // extra byte is a '\r' that the coming '\n' would drop.
    private readonly bool IsOverLimitWithoutEnd(ReadOnlySequence<byte> buffer) =>
        maxLength > 0 && (buffer.Length > maxLength + 1 || (buffer.Length == maxLength + 1 && !EndsWithCarriageReturn(buffer)));

    private static bool EndsWithCarriageReturn(ReadOnlySequence<byte> bytes) =>
        bytes.Slice(bytes.Length - 1).FirstSpan[0] == (byte)'\r';
}
