using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using RxChat.Transport;

namespace RxChat.Benchmarks;

/// <summary>
/// The read side of a connection without the socket: a <see cref="PipeReader"/> over a stream, framed by
/// <see cref="LineFramer"/> in the loop <c>SocketConnection</c> runs, so the figure adds the pipe's copying
/// and buffer management to <see cref="LineFramerBenchmarks"/>. Mean and Allocated are per line.
/// </summary>
[MemoryDiagnoser]
public class StreamFramingBenchmarks
{
    /// <summary>Lines read per invocation; the operations per invoke.</summary>
    public const int LinesPerInvoke = 1_000;

    private MemoryStream _stream = null!;

    /// <summary>Bytes per line, without the <c>\n</c>.</summary>
    [Params(16, 100, 1_000)]
    public int LineLength { get; set; }

    /// <summary>Builds the input.</summary>
    [GlobalSetup]
    public void Setup() => _stream = new MemoryStream(FramingInput.Lines(LinesPerInvoke, LineLength), writable: false);

    /// <summary>Reads the stream to its end and frames every line.</summary>
    /// <returns>The characters framed, so that nothing is optimised away.</returns>
    [Benchmark(OperationsPerInvoke = LinesPerInvoke)]
    public async Task<int> ReadAndFrame()
    {
        _stream.Position = 0;
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        var framer = new LineFramer(4096);
        var chars = 0;
        while (true)
        {
            var result = await reader.ReadAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            while (framer.TryRead(ref buffer, out var line))
            {
                chars += line.Text.Length;
            }

            if (result.IsCompleted)
            {
                break;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        await reader.CompleteAsync().ConfigureAwait(false);
        return chars;
    }
}
