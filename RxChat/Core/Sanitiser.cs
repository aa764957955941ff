using System.Buffers;

namespace RxChat.Core;

/// <summary>
/// Removes control characters from client text: C0 except tab, DEL and C1 (PROTOCOL.md, Sanitising). Removing
/// ESC neutralises every ANSI/VT escape sequence: <c>ESC[2J</c> becomes <c>[2J</c>. In the same spirit (no client
/// may change how another's screen shows text that is not its own) it removes the bidirectional embeddings, overrides
/// and isolates, U+202A-U+202E and U+2066-U+2069, with which <c>rtl U+202E gpj.exe</c> shows as <c>rtl exe.jpg</c>
/// (the "Trojan Source" trick, CVE-2021-42574), and the line and paragraph separators U+2028 and U+2029, which some
/// terminals and pages break lines at, so that no line can show as two. The marks U+200E and U+200F, which
/// right-to-left writing uses and which reorder nothing past themselves, stay.
/// </summary>
public static class Sanitiser
{
    private static readonly SearchValues<char> Removed = SearchValues.Create(
        Enumerable.Range(0, 0x20).Where(c => c != '\t')
            .Concat(Enumerable.Range(0x7F, 0x9F - 0x7F + 1))
            .Concat([0x2028, 0x2029])
            .Concat(Enumerable.Range(0x202A, 0x202E - 0x202A + 1))
            .Concat(Enumerable.Range(0x2066, 0x2069 - 0x2066 + 1))
            .Select(c => (char)c).ToArray());

    /// <summary>
    /// Whether <paramref name="c"/> is removed: U+0000-U+001F but tab, U+007F-U+009F, U+2028, U+2029, U+202A-U+202E
    /// and U+2066-U+2069.
    /// </summary>
    /// <param name="c">A UTF-16 code unit.</param>
    public static bool IsRemoved(char c) => Removed.Contains(c);

    /// <summary>
    /// Returns <paramref name="text"/> without the removed characters; the same instance when it holds none.
    /// </summary>
    /// <param name="text">Any text.</param>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Sanitise(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = text.AsSpan().IndexOfAny(Removed);
        if (first < 0)
        {
            return text;
        }

        return string.Create(text.Length - Count(text.AsSpan(first)), (text, first), static (span, state) =>
        {
            var (source, first) = state;
            source.AsSpan(0, first).CopyTo(span);
            var written = first;
            foreach (var c in source.AsSpan(first))
            {
                if (!IsRemoved(c))
                {
                    span[written++] = c;
                }
            }
        });
    }

    private static int Count(ReadOnlySpan<char> text)
    {
        var count = 0;
        foreach (var c in text)
        {
            if (IsRemoved(c))
            {
                count++;
            }
        }

        return count;
    }
}
