using System.Buffers;

namespace RxChat.Core;

/// <summary>
/// Removes control characters from client text: C0 except tab, DEL and C1 (PROTOCOL.md, Sanitising). Removing
/// ESC neutralises every ANSI/VT escape sequence: <c>ESC[2J</c> becomes <c>[2J</c>.
/// </summary>
public static class Sanitiser
{
    private static readonly SearchValues<char> Removed = SearchValues.Create(
        Enumerable.Range(0, 0x20).Where(c => c != '\t')
            .Concat(Enumerable.Range(0x7F, 0x9F - 0x7F + 1))
            .Select(c => (char)c).ToArray());

    /// <summary>Whether <paramref name="c"/> is removed: U+0000-U+001F but tab, U+007F-U+009F.</summary>
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
