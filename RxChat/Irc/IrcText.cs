using System.Text;

namespace RxChat.Irc;

/// <summary>
/// Text as IRC carries it: mIRC formatting codes removed before the server's own sanitising (so that a colour's digits
/// do not reach a line client, front-doors.md §2.2), and a long text cut into pieces that each fit one 512-byte line.
/// </summary>
internal static class IrcText
{
    /// <summary>The longest line, in bytes, with its <c>\r\n</c> (RFC 1459 §2.3).</summary>
    public const int MaxLine = 512;

    /// <summary>The CTCP delimiter (<c>\x01ACTION waves\x01</c>).</summary>
    public const char Ctcp = '\x01';

    /// <summary>
    /// Removes mIRC formatting (modern.ircdocs.horse/formatting): bold, italics, underline, strike-through, monospace,
    /// reverse and reset; a colour <c>\x03</c> with up to two digits and, after a comma, up to two more; a hex colour
    /// <c>\x04</c> with six hex digits and, after a comma, six more. Digits that follow any other code stay.
    /// </summary>
    public static string StripFormatting(string text)
    {
        if (text.AsSpan().IndexOfAny("\x02\x03\x04\x0F\x11\x16\x1D\x1E\x1F") < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\x02' or '\x0F' or '\x11' or '\x16' or '\x1D' or '\x1E' or '\x1F':
                    break;
                case '\x03':
                    i = SkipColour(text, i, 2, char.IsAsciiDigit);
                    break;
                case '\x04':
                    i = SkipColour(text, i, 6, char.IsAsciiHexDigit);
                    break;
                default:
                    result.Append(text[i]);
                    break;
            }
        }

        return result.ToString();
    }

    /// <summary>
    /// Cuts <paramref name="text"/> into pieces of at most <paramref name="budget"/> UTF-8 bytes each (at least one
    /// piece; at least one character per piece), at a character boundary, after the last space that fits when there is
    /// one: the pieces joined are the text, nothing lost or repeated.
    /// </summary>
    public static IEnumerable<string> Split(string text, int budget)
    {
        budget = Math.Max(budget, 4);
        var start = 0;
        do
        {
            var end = start;
            var bytes = 0;
            var lastSpace = -1;
            while (end < text.Length)
            {
                var width = char.IsSurrogatePair(text, end) ? 2 : 1;
                var size = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
                if (bytes + size > budget)
                {
                    break;
                }

                bytes += size;
                end += width;
                if (text[end - 1] == ' ')
                {
                    lastSpace = end;
                }
            }

            if (end < text.Length && lastSpace > start)
            {
                end = lastSpace;
            }

            yield return text[start..end];
            start = end;
        }
        while (start < text.Length);
    }

    /// <summary>
    /// <paramref name="text"/> without C0 controls (but CTCP's <c>\x01</c>), DEL and C1 controls, which a line of the
    /// server's must never hold (PROTOCOL.md, Sanitising), even one that quotes what a client sent.
    /// </summary>
    public static string WithoutControls(string text) =>
        text.AsSpan().IndexOfAnyInRange('\u0000', '\u001F') < 0 && text.AsSpan().IndexOfAnyInRange('\u007F', '\u009F') < 0
            ? text
            : string.Concat(text.Where(c => c == Ctcp || !(c < ' ' || c is >= '\u007F' and <= '\u009F')));

    /// <summary><paramref name="text"/> cut to at most <paramref name="budget"/> UTF-8 bytes, at a character boundary.</summary>
    public static string Truncate(string text, int budget)
    {
        if (Encoding.UTF8.GetByteCount(text) <= budget)
        {
            return text;
        }

        var end = 0;
        var bytes = 0;
        while (end < text.Length)
        {
            var width = char.IsSurrogatePair(text, end) ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.AsSpan(end, width));
            if (bytes + size > budget)
            {
                break;
            }

            bytes += size;
            end += width;
        }

        return text[..end];
    }

    /// <summary>The UTF-8 size of <paramref name="text"/>.</summary>
    public static int Bytes(string text) => Encoding.UTF8.GetByteCount(text);

    // Skips a colour code: up to `digits` digits, then a comma and up to `digits` more when a digit follows the comma
    // (a comma after no digit, or before no digit, is text). Returns the index of the code's last character.
    private static int SkipColour(string text, int at, int digits, Func<char, bool> isDigit)
    {
        var next = at + 1;
        var n = CountDigits(text, next, digits, isDigit);
        next += n;
        if (n > 0 && next + 1 < text.Length && text[next] == ',' && isDigit(text[next + 1]))
        {
            next += 1 + CountDigits(text, next + 1, digits, isDigit);
        }

        return next - 1;
    }

    private static int CountDigits(string text, int from, int digits, Func<char, bool> isDigit)
    {
        var n = 0;
        while (n < digits && from + n < text.Length && isDigit(text[from + n]))
        {
            n++;
        }

        return n;
    }
}
