using System.Reactive.Disposables;
using System.Reactive.Subjects;
using BenchmarkDotNet.Attributes;
using RxChat.Core;

namespace RxChat.Benchmarks;

/// <summary>
/// One connection's chain at the writer edge, for each writer scheduler tried: a line broadcast on the subject goes
/// through each client's inbox (its <c>Merge</c> with private lines and <c>TakeUntil</c> its close, as
/// <c>ClientInbox.Wire</c> builds it), <c>ObserveOn</c> the writer scheduler, and reaches a writer that only counts.
/// No fold, no socket. Each invocation broadcasts <c>DeliveriesPerInvoke / Clients</c> lines and waits until every
/// writer counted each, so Mean and Allocated are per delivered line.
/// </summary>
[MemoryDiagnoser]
public class WriterChainBenchmarks
{
    /// <summary>Lines delivered per invocation, over all writers; the operations per invoke.</summary>
    public const int DeliveriesPerInvoke = 10_000;

    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);
    private static readonly OutgoingLine Line = new("c0: m 0 12345 1732950000000000000");

    private readonly Subject<OutgoingLine> _broadcast = new();
    private readonly Tally _tally = new();
    private readonly CompositeDisposable _inboxes = [];
    private int _broadcastsPerInvoke;

    /// <summary>Clients following the broadcast.</summary>
    [Params(1, 100, 1_000)]
    public int Clients { get; set; }

    /// <summary>Where writers receive their lines; see <see cref="WriterKind"/>.</summary>
    [Params(WriterKind.Writers, WriterKind.CurrentThread, WriterKind.Pool, WriterKind.EventLoop)]
    public WriterKind Writers { get; set; }

    /// <summary>Wires <see cref="Clients"/> inboxes to counting writers and joins them to the broadcast.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var scheduler = WriterKinds.Of(Writers);
        for (var i = 0; i < Clients; i++)
        {
            var inbox = ClientInbox.Wire(new CountingWriter(_tally), _broadcast, scheduler);
            inbox.Join();
            _inboxes.Add(Disposable.Create(inbox.Close));
        }

        _broadcastsPerInvoke = DeliveriesPerInvoke / Clients;
    }

    /// <summary>Closes every inbox.</summary>
    [GlobalCleanup]
    public void Cleanup() => _inboxes.Dispose();

    /// <summary>Broadcasts the invocation's lines and waits until every writer counted each of them.</summary>
    [Benchmark(OperationsPerInvoke = DeliveriesPerInvoke)]
    public void Deliver()
    {
        _tally.Expect((long)_broadcastsPerInvoke * Clients);
        for (var i = 0; i < _broadcastsPerInvoke; i++)
        {
            _broadcast.OnNext(Line);
        }

        _tally.Wait(StepTimeout);
    }
}
