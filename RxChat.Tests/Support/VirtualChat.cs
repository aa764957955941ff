using System.Reactive;
using Microsoft.Reactive.Testing;
using RxChat.Core;

namespace RxChat.Tests.Support;

/// <summary>
/// A broadcaster on a <see cref="TestScheduler"/> (both time and writers), fed by scripted hot observables, with
/// one recording writer per connection. Times are in virtual seconds via <see cref="At"/>.
/// </summary>
internal sealed class VirtualChat
{
    private readonly List<Recorded<Notification<ClientArrived>>> _arrivals = [];
    private readonly List<Recorded<Notification<LineReceived>>> _lines = [];
    private readonly List<Recorded<Notification<ClientLeft>>> _departures = [];
    private readonly Dictionary<long, ITestableObserver<OutgoingLine>> _writers = [];

    public VirtualChat(ChatServerOptions? options = null) => Options = options ?? new ChatServerOptions();

    public TestScheduler Scheduler { get; } = new();

    public ChatServerOptions Options { get; }

    public ITestableObserver<ServerEvent>? Events { get; private set; }

    /// <summary>Virtual ticks for a time in seconds (10,000,000 ticks a second).</summary>
    public static long At(double seconds) => TimeSpan.FromSeconds(seconds).Ticks;

    public VirtualChat Arrive(double seconds, long id, string remoteAddress = "127.0.0.1:5000")
    {
        var writer = Scheduler.CreateObserver<OutgoingLine>();
        _writers[id] = writer;
        _arrivals.Add(ReactiveTest.OnNext(At(seconds), new ClientArrived(new ConnectionId(id), remoteAddress, writer)));
        return this;
    }

    public VirtualChat Line(double seconds, long id, string text)
    {
        _lines.Add(ReactiveTest.OnNext(At(seconds), new LineReceived(new ConnectionId(id), text)));
        return this;
    }

    public VirtualChat TooLong(double seconds, long id)
    {
        _lines.Add(ReactiveTest.OnNext(At(seconds), new LineReceived(new ConnectionId(id), ReceivedLine.TooLong)));
        return this;
    }

    public VirtualChat Leave(double seconds, long id, DisconnectReason reason = DisconnectReason.EndOfStream)
    {
        _departures.Add(ReactiveTest.OnNext(At(seconds), new ClientLeft(new ConnectionId(id), reason)));
        return this;
    }

    /// <summary>Subscribes at tick 0 and runs the scheduler to the end.</summary>
    public VirtualChat Run()
    {
        var broadcaster = new Broadcaster(Options, Scheduler, Scheduler);
        Events = Scheduler.CreateObserver<ServerEvent>();
        broadcaster.Run(
            Scheduler.CreateHotObservable(_arrivals.ToArray()),
            Scheduler.CreateHotObservable(_lines.ToArray()),
            Scheduler.CreateHotObservable(_departures.ToArray())).Subscribe(Events);
        Scheduler.Start();
        return this;
    }

    /// <summary>What connection <paramref name="id"/> received, as texts; <c>(closed)</c> when its writer completed.</summary>
    public IReadOnlyList<string> Received(long id) => _writers[id].Messages.Select(m => Text(m.Value)).ToList();

    /// <summary>What connection <paramref name="id"/> received, with the virtual tick of each.</summary>
    public IReadOnlyList<(long Tick, string Text)> Timeline(long id) => _writers[id].Messages.Select(m => (m.Time, Text(m.Value))).ToList();

    private static string Text(Notification<OutgoingLine> n) => n.Kind switch
    {
        NotificationKind.OnNext => n.Value.Text,
        NotificationKind.OnCompleted => "(closed)",
        _ => $"(error {n.Exception?.Message})",
    };
}
