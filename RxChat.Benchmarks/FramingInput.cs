using System.Text;

namespace RxChat.Benchmarks;

/// <summary>What a chat client sends: <c>count</c> ASCII lines of <c>length</c> bytes each, every one ending in <c>\n</c>.</summary>
internal static class FramingInput
{
    public static byte[] Lines(int count, int length)
    {
        var text = new StringBuilder(count * (length + 1));
        for (var i = 0; i < count; i++)
        {
            var line = $"m 3 {i} 1732950000000000000 ";
            text.Append(line.Length >= length ? line[..length] : line.PadRight(length, 'x')).Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
