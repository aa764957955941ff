using System.Buffers;
using System.Text;
using CsCheck;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Transport;

namespace RxChat.Tests.Transport;

/// <summary>The read side's buffer: what the framer leaves is carried to the next read, nothing is held when empty.</summary>
public class ReceiveBufferTests
{
    // Frames the input arriving in reads of the given sizes, as SocketConnection does.
    private static List<string> FrameInReads(byte[] input, IEnumerable<int> reads, int maxLength, ReceiveBuffer buffer)
    {
        var framer = new LineFramer(maxLength);
        var lines = new List<string>();
        var at = 0;
        using var sizes = reads.GetEnumerator();
        while (true)
        {
            var room = buffer.Reserve();
            var size = at >= input.Length ? 0 : Math.Min(room.Length, Math.Min(input.Length - at, sizes.MoveNext() ? Math.Max(1, sizes.Current) : input.Length));
            input.AsSpan(at, size).CopyTo(room);
            at += size;
            buffer.Commit(size);
            var data = buffer.Data;
            while (framer.TryRead(ref data, out var line))
            {
                lines.Add(line.IsTooLong ? "(too long)" : line.Text);
            }

            if (size == 0)
            {
                if (framer.TryReadFinal(data, out var last))
                {
                    lines.Add(last.IsTooLong ? "(too long)" : last.Text);
                }

                return lines;
            }

            buffer.Keep(data);
        }
    }

    private static List<string> FrameWhole(byte[] input, int maxLength)
    {
        var framer = new LineFramer(maxLength);
        var lines = new List<string>();
        var data = new ReadOnlySequence<byte>(input);
        while (framer.TryRead(ref data, out var line))
        {
            lines.Add(line.IsTooLong ? "(too long)" : line.Text);
        }

        if (framer.TryReadFinal(data, out var last))
        {
            lines.Add(last.IsTooLong ? "(too long)" : last.Text);
        }

        return lines;
    }

    [Test]
    public void Lines_InAnyReadSizes_FrameAsTheWholeInputDoes()
    {
        Gen.Select(Gen.Char['a', 'e'].Array[0, 90].Select(c => new string(c)).Array[0, 40], Gen.Int[1, 9000].Array[1, 30], Gen.Int[0, 64])
            .Sample((words, reads, limit) =>
            {
                var input = Encoding.UTF8.GetBytes(string.Join("\n", words) + (words.Length % 2 == 0 ? "\n" : ""));
                var buffer = new ReceiveBuffer();
                return FrameInReads(input, reads, limit, buffer).SequenceEqual(FrameWhole(input, limit));
            });
    }

    [Test]
    public void UnfinishedLine_IsKeptForTheNextRead_ThenTheBufferGoesBack()
    {
        var buffer = new ReceiveBuffer();
        var framer = new LineFramer(4096);
        "hel"u8.CopyTo(buffer.Reserve());
        buffer.Commit(3);
        var data = buffer.Data;
        var first = framer.TryRead(ref data, out _);
        buffer.Keep(data);
        var kept = buffer.Data.Length;
        "lo\n"u8.CopyTo(buffer.Reserve());
        buffer.Commit(3);
        data = buffer.Data;
        framer.TryRead(ref data, out var line);
        buffer.Keep(data);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.False);
            Assert.That(kept, Is.EqualTo(3));
            Assert.That(line.Text, Is.EqualTo("hello"));
            Assert.That(buffer.Data.IsEmpty, Is.True, "nothing held once every line is taken");
        });
    }

    [Test]
    public void LongLineWithoutLimit_GrowsTheBufferAndArrivesWhole()
    {
        var text = new string('x', 100_000);
        var lines = FrameInReads(Encoding.ASCII.GetBytes(text + "\n"), Enumerable.Repeat(4096, 100), 0, new ReceiveBuffer());

        Assert.That(lines, Is.EqualTo(new[] { text }));
    }
}
