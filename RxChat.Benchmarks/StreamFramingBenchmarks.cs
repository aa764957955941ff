using BenchmarkDotNet.Attributes;
using RxChat.Transport;

namespace RxChat.Benchmarks;

/// <summary>
/// The read side of a connection without the socket: reads from a stream into a <see cref="ReceiveBuffer"/>, framed
/// by <see cref="LineFramer"/> in the loop <c>SocketConnection</c> runs (unfinished lines carried to the next read,
/// the buffer given back when empty), so the figure adds the buffer's copying and renting to
/// <see cref="LineFramerBenchmarks"/>. Mean and Allocated are per line.
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
    public int ReadAndFrame()
    {
        _stream.Position = 0;
        var input = new ReceiveBuffer();
        var framer = new LineFramer(4096);
        var chars = 0;
        while (true)
        {
            var received = _stream.Read(input.Reserve());
            input.Commit(received);
            var buffer = input.Data;
            while (framer.TryRead(ref buffer, out var line))
            {
                chars += line.Text.Length;
            }

            if (received == 0)
            {
                break;
            }

            input.Keep(buffer);
        }

        input.Release();
        return chars;
    }
}
