using System.Buffers;
using BenchmarkDotNet.Attributes;
using RxChat.Transport;

namespace RxChat.Benchmarks;

/// <summary>
/// <see cref="LineFramer"/> alone (internal: needs <c>InternalsVisibleTo("RxChat.Benchmarks")</c> in RxChat):
/// splits and decodes <see cref="LinesPerInvoke"/> lines already in memory, in one segment or in 4 KiB segments as a
/// <c>PipeReader</c> hands them over. Mean and Allocated are per line; MB/s = (LineLength + 1) / Mean.
/// </summary>
[MemoryDiagnoser]
public class LineFramerBenchmarks
{
    /// <summary>Lines framed per invocation; the operations per invoke.</summary>
    public const int LinesPerInvoke = 1_000;

    private ReadOnlySequence<byte> _input;

    /// <summary>Bytes per line, without the <c>\n</c>.</summary>
    [Params(16, 100, 1_000)]
    public int LineLength { get; set; }

    /// <summary>Whether the input comes in 4 KiB segments (lines cross segment ends) or in one.</summary>
    [Params(false, true)]
    public bool Segmented { get; set; }

    /// <summary>Builds the input.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var bytes = FramingInput.Lines(LinesPerInvoke, LineLength);
        _input = Segmented ? ChunkedSequence.Of(bytes, 4096) : new ReadOnlySequence<byte>(bytes);
    }

    /// <summary>Frames every line, with the server's default line-length limit (4096).</summary>
    /// <returns>The characters framed, so that nothing is optimised away.</returns>
    [Benchmark(OperationsPerInvoke = LinesPerInvoke)]
    public int Frame()
    {
        var framer = new LineFramer(4096);
        var buffer = _input;
        var chars = 0;
        while (framer.TryRead(ref buffer, out var line))
        {
            chars += line.Text.Length;
        }

        return chars;
    }
}
