using Microsoft.Reactive.Testing;
using RxChat.Core;

namespace RxChat.Tests.Support;

/// <summary>An in-memory connection on a <see cref="TestScheduler"/>: scripted lines in, a recording writer out.</summary>
internal sealed class TestConnection(long id, IObservable<ReceivedLine> lines, ITestableObserver<OutgoingLine> writer) : IChatConnection
{
    public ConnectionId Id { get; } = new(id);

    public string RemoteAddress => $"127.0.0.1:{5000 + Id.Value}";

    public IObservable<ReceivedLine> Lines => lines;

    public IObserver<OutgoingLine> Writer => writer;

    public ITestableObserver<OutgoingLine> Recorded => writer;

    /// <summary>A connection whose lines are <paramref name="script"/> (seconds, text), hot on the scheduler.</summary>
    public static TestConnection Scripted(TestScheduler scheduler, long id, params (double Seconds, string Text)[] script) =>
        new(id,
            scheduler.CreateHotObservable(script.Select(s => ReactiveTest.OnNext(VirtualChat.At(s.Seconds), new ReceivedLine(s.Text))).ToArray()),
            scheduler.CreateObserver<OutgoingLine>());

    public IReadOnlyList<(long Tick, string Text)> Timeline() => Recorded.Messages
        .Select(m => (m.Time, m.Value.Kind == System.Reactive.NotificationKind.OnNext ? m.Value.Value.Text : "(closed)"))
        .ToList();
}
