using System.Buffers;
using System.Text;
using CsCheck;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Tests.Support;
using RxChat.Transport;

namespace RxChat.Tests.Transport;

/// <summary>The framer over single- and multi-segment buffers, without sockets.</summary>
public class LineFramerTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Feeds chunks as a pipe would (keeping what the framer leaves), then ends the stream.</summary>
    private static List<ReceivedLine> Frame(int maxLength, params byte[][] chunks)
    {
        var framer = new LineFramer(maxLength);
        var lines = new List<ReceivedLine>();
        var held = Array.Empty<byte>();
        foreach (var chunk in chunks)
        {
            var buffer = Segments.Of(held, chunk);
            while (framer.TryRead(ref buffer, out var line))
            {
                lines.Add(line);
            }

            held = buffer.ToArray();
        }

        if (framer.TryReadFinal(new ReadOnlySequence<byte>(held), out var last))
        {
            lines.Add(last);
        }

        return lines;
    }

    [Test]
    public void Lines_SplitAcrossSegments_AreJoined()
    {
        Assert.That(Frame(0, B("hel"), B("lo\nwor"), B("ld\n")).Select(l => l.Text), Is.EqualTo(new[] { "hello", "world" }));
    }

    [Test]
    public void CrLf_TheCrIsDropped_EvenWhenSplitFromItsLf()
    {
        Assert.That(Frame(0, B("a\r"), B("\nb\r\n")).Select(l => l.Text), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void Cr_NotBeforeLf_IsKeptForTheSanitiser()
    {
        Assert.That(Frame(0, B("a\rb\n")).Single().Text, Is.EqualTo("a\rb"));
    }

    [Test]
    public void FinalLine_WithoutLf_CountsAtEndOfStream()
    {
        Assert.That(Frame(0, B("a\nlast")).Select(l => l.Text), Is.EqualTo(new[] { "a", "last" }));
    }

    [Test]
    public void MultiByteCharacter_SplitAcrossSegments_DecodesWhole()
    {
        Assert.That(Frame(0, [0xE2], [0x82], [0xAC, (byte)'\n']).Single().Text, Is.EqualTo("€"));
    }

    [Test]
    public void Line_AtTheLimit_Passes_OneByteOver_IsTooLong()
    {
        var lines = Frame(4, B("abcd\r\nabcde\nok\n"));

        Assert.That(lines, Is.EqualTo(new[] { new ReceivedLine("abcd"), ReceivedLine.TooLong, new ReceivedLine("ok") }));
    }

    [Test]
    public void Line_OverLimitWithoutEnd_IsReportedOnceAndSkippedToItsEnd()
    {
        var lines = Frame(4, B("abcdefgh"), B("ijklmnop"), B("qrst\nok\n"));

        Assert.That(lines, Is.EqualTo(new[] { ReceivedLine.TooLong, new ReceivedLine("ok") }));
    }

    [Test]
    public void Line_OverLimitAtEndOfStream_IsNotReportedTwice()
    {
        Assert.That(Frame(4, B("abcdefgh")), Is.EqualTo(new[] { ReceivedLine.TooLong }));
    }

    [Test]
    public void Property_ForAnyBytesAndChunking_HoldsAtMostTheLimitPlusOne()
    {
        Gen.Select(Gen.Int[1, 64], Gen.Byte.Array[0, 40].Array[0, 20]).Sample((limit, chunks) =>
        {
            var framer = new LineFramer(limit);
            var held = Array.Empty<byte>();
            foreach (var chunk in chunks)
            {
                var buffer = Segments.Of(held, chunk);
                while (framer.TryRead(ref buffer, out var line))
                {
                    if (!line.IsTooLong && Encoding.UTF8.GetByteCount(line.Text) > limit && !line.Text.Contains('\uFFFD'))
                    {
                        return false;
                    }
                }

                held = buffer.ToArray();
                if (held.Length > limit + 1)
                {
                    return false;
                }
            }

            return true;
        });
    }

    [Test]
    public void Property_ForAnyChunking_TheLinesAreTheSame()
    {
        Gen.Select(Gen.Byte[0, 127].Array[0, 200], Gen.Int[1, 10]).Sample((bytes, step) =>
        {
            var whole = Frame(16, bytes);
            var chunked = Frame(16, bytes.Chunk(step).ToArray());
            return whole.SequenceEqual(chunked);
        });
    }

    [TestCase(new byte[] { 255, 253, 1, (byte)'h', (byte)'i' }, "hi", TestName = "Telnet_DoEcho_IsRemoved")]
    [TestCase(new byte[] { (byte)'h', 255, 244, (byte)'i' }, "hi", TestName = "Telnet_InterruptProcess_IsRemoved")]
    [TestCase(new byte[] { 255, 250, 31, 0, 80, 0, 24, 255, 240, (byte)'o', (byte)'k' }, "ok", TestName = "Telnet_WindowSizeSubnegotiation_IsRemoved")]
    [TestCase(new byte[] { 255, 251, 24, 255, 251, 31, 255, 253, 3, (byte)'x' }, "x", TestName = "Telnet_TerminalTypeWindowSizeAndGoAheadOffers_AreRemoved")]
    [TestCase(new byte[] { (byte)'a', (byte)'b', 255, 254, (byte)' ', (byte)'x' }, "ab\uFFFD\uFFFD x", TestName = "Telnet_FFFEBeforeASpace_IsInvalidUtf8NotACommand")]
    [TestCase(new byte[] { (byte)'x', 255, 254, (byte)'y' }, "x\uFFFD\uFFFDy", TestName = "Telnet_FFFEBeforeALetter_IsInvalidUtf8NotACommand")]
    [TestCase(new byte[] { (byte)'a', 255 }, "a\uFFFD", TestName = "Telnet_LoneIac_IsInvalidUtf8")]
    public void Telnet_Commands_AreRemovedBeforeDecoding(byte[] bytes, string expected)
    {
        Assert.That(LineFramer.Decode(new ReadOnlySequence<byte>(bytes)), Is.EqualTo(expected));
    }
}
