using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using BenchmarkDotNet.Attributes;
using RxChat.Core;

namespace RxChat.Benchmarks;

/// <summary>
/// The core's fan-out: chat lines from one client broadcast to <see cref="Clients"/> named in-memory connections
/// through the public <see cref="Broadcaster.Run(IObservable{ClientArrived}, IObservable{LineReceived}, IObservable{ClientLeft}, IObservable{System.Reactive.Unit})"/>,
/// with writers that only count. Every invocation delivers <see cref="DeliveriesPerInvoke"/> lines in all
/// (<c>DeliveriesPerInvoke / Clients</c> broadcasts), so Mean and Allocated are per delivered line.
/// </summary>
[MemoryDiagnoser]
public class FanOutBenchmarks
{
    /// <summary>Lines delivered per invocation, over all writers; the operations per invoke.</summary>
    public const int DeliveriesPerInvoke = 10_000;

    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    private readonly Subject<ClientArrived> _arrivals = new();
    private readonly Subject<LineReceived> _lines = new();
    private readonly Subject<ClientLeft> _departures = new();
    private readonly Tally _tally = new();
    private IDisposable? _chat;
    private LineReceived _line = null!;
    private int _broadcastsPerInvoke;

    /// <summary>Named clients, the sender among them.</summary>
    [Params(10, 100, 1_000, 10_000)]
    public int Clients { get; set; }

    /// <summary>Where writers receive their lines; see <see cref="WriterKind"/>.</summary>
    [Params(WriterKind.Writers, WriterKind.CurrentThread, WriterKind.Pool)]
    public WriterKind Writers { get; set; }

    /// <summary>
    /// Starts the chat and names <see cref="Clients"/> connections <c>c0</c>, <c>c1</c>, ... (each arrival is
    /// announced to the clients before it, so this sends <c>3N + N(N-1)/2</c> lines and waits for all of them).
    /// </summary>
    [GlobalSetup]
    public void Setup()
    {
        var options = new ChatServerOptions { RateLimit = 0, IdleTimeout = TimeSpan.Zero, MaxClients = 0, OutboxCapacity = 0 };
        var writers = WriterKinds.Of(Writers);
        var broadcaster = new Broadcaster(options, ChatSchedulers.Time, writers);
        _chat = broadcaster.Run(_arrivals, _lines, _departures).Subscribe();

        long n = Clients;
        _tally.Expect((3 * n) + (n * (n - 1) / 2));
        for (var i = 0; i < Clients; i++)
        {
            var id = new ConnectionId(i + 1);
            _arrivals.OnNext(new ClientArrived(id, $"127.0.0.1:{10_000 + i}", new CountingWriter(_tally)));
            _lines.OnNext(new LineReceived(id, $"c{i}"));
        }

        _tally.Wait(StepTimeout);
        _line = new LineReceived(new ConnectionId(1), "m 0 12345 1732950000000000000");
        _broadcastsPerInvoke = DeliveriesPerInvoke / Clients;
    }

    /// <summary>Stops the chat.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _chat?.Dispose();
        _arrivals.Dispose();
        _lines.Dispose();
        _departures.Dispose();
    }

    /// <summary>
    /// Broadcasts <c>DeliveriesPerInvoke / Clients</c> lines from <c>c0</c> and waits until every writer counted
    /// each of them.
    /// </summary>
    [Benchmark(OperationsPerInvoke = DeliveriesPerInvoke)]
    public void Broadcast()
    {
        _tally.Expect(DeliveriesPerInvoke);
        for (var i = 0; i < _broadcastsPerInvoke; i++)
        {
            _lines.OnNext(_line);
        }

        _tally.Wait(StepTimeout);
    }
}
