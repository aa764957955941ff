using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Tests.Support;
using static RxChat.Tests.Support.VirtualChat;

namespace RxChat.Tests.Core;

/// <summary>
/// PROTOCOL.md, Leaving, idle timeout (the book's exercise 8.13), in virtual time: minutes pass in
/// microseconds. Connections arrive at tick 1 and send their names at second 1.
/// </summary>
public class IdleTimeoutTests
{
    private sealed class Chat
    {
        public TestScheduler Scheduler { get; } = new();

        public List<TestConnection> Connections { get; } = [];

        public ITestableObserver<ServerEvent> Events { get; private set; } = null!;

        public TestConnection Connect(long id, params (double Seconds, string Text)[] script)
        {
            var connection = TestConnection.Scripted(Scheduler, id, script);
            Connections.Add(connection);
            return connection;
        }

        public Chat Run(TimeSpan idleTimeout, double untilSeconds)
        {
            var broadcaster = new Broadcaster(new ChatServerOptions { IdleTimeout = idleTimeout }, Scheduler, Scheduler);
            var arrivals = Scheduler.CreateHotObservable(Connections.Select(c => ReactiveTest.OnNext(1, (IChatConnection)c)).ToArray());
            Events = Scheduler.CreateObserver<ServerEvent>();
            broadcaster.Run(arrivals).Subscribe(Events);
            Scheduler.AdvanceTo(At(untilSeconds));
            return this;
        }
    }

    private static readonly TimeSpan FiveMinutes = TimeSpan.FromMinutes(5);

    [Test]
    public void Idle_AfterFourMinutesFiftyNine_KeepsTheClient()
    {
        var chat = new Chat();
        var alice = chat.Connect(1, (1, "alice"));
        var bob = chat.Connect(2, (1, "bob"), (250, "still here"), (500, "and here"));

        chat.Run(FiveMinutes, 300);

        Assert.Multiple(() =>
        {
            Assert.That(alice.Timeline().Select(t => t.Text), Has.No.Member("Disconnected: idle").And.No.Member("(closed)"));
            Assert.That(bob.Timeline().Select(t => t.Text), Has.No.Member("alice has left"));
        });
    }

    [Test]
    public void Idle_FiveMinutes_DisconnectsWithIdleLineAndOthersHearOnce()
    {
        var chat = new Chat();
        var alice = chat.Connect(1, (1, "alice"));
        var bob = chat.Connect(2, (1, "bob"), (250, "still here"), (500, "and here"));

        chat.Run(FiveMinutes, 540);

        // alice's last line was at second 1; the clock ran out 5 minutes later; the ObserveOn hop adds a tick.
        var idleAt = At(301);
        Assert.Multiple(() =>
        {
            Assert.That(alice.Timeline().TakeLast(2), Is.EqualTo(new[] { (idleAt + 1, "Disconnected: idle"), (idleAt + 2, "(closed)") }));
            Assert.That(bob.Timeline().Count(t => t.Text == "alice has left"), Is.EqualTo(1));
            Assert.That(bob.Timeline().Single(t => t.Text == "alice has left").Tick, Is.EqualTo(idleAt + 1));
        });
    }

    [Test]
    public void Idle_LineAtFourFiftyNine_RestartsTheClock()
    {
        var chat = new Chat();
        var alice = chat.Connect(1, (1, "alice"), (300, "/who"));

        chat.Run(FiveMinutes, 700);

        Assert.That(alice.Timeline().Single(t => t.Text == "Disconnected: idle").Tick, Is.EqualTo(At(600) + 1));
    }

    [Test]
    public void Idle_ConnectionThatNeverNamesItself_TimesOutToo()
    {
        var chat = new Chat();
        var lurker = chat.Connect(1);

        chat.Run(FiveMinutes, 400);

        Assert.That(lurker.Timeline(), Is.EqualTo(new[]
        {
            (2L, "What is your name?"), (1 + FiveMinutes.Ticks + 1, "Disconnected: idle"), (1 + FiveMinutes.Ticks + 2, "(closed)"),
        }));
    }

    [Test]
    public void Idle_Zero_NeverTimesOut()
    {
        var chat = new Chat();
        var alice = chat.Connect(1, (1, "alice"));

        chat.Run(TimeSpan.Zero, 100_000);

        Assert.That(alice.Timeline().Select(t => t.Text), Has.No.Member("Disconnected: idle"));
    }

    [Test]
    public void Idle_Departure_IsReportedWithTheIdleReason()
    {
        var chat = new Chat();
        chat.Connect(1, (1, "alice"));

        chat.Run(FiveMinutes, 400);

        Assert.That(chat.Events.Messages.Select(m => m.Value.Value).OfType<ConnectionClosed>().Single().Reason, Is.EqualTo(DisconnectReason.Idle));
    }
}
