using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat;
using RxChat.Core;
using static Microsoft.Reactive.Testing.ReactiveTest;

namespace Samples.Tests;

/// <summary>The example test in docs/design.md (Time), linked from the README, compiled and run: keep the two in step.</summary>
public class ReadmeExampleTests
{
    // docs/design.md: begin
    [Test]
    public void Broadcaster_TwoClientsChat_BobSeesAliceArriveSpeakAndLeave()
    {
        // Virtual time: both the clock and the writers run on the TestScheduler, so the run is exact.
        var scheduler = new TestScheduler();
        var (alice, bob) = (scheduler.CreateObserver<OutgoingLine>(), scheduler.CreateObserver<OutgoingLine>());
        var (a, b) = (new ConnectionId(1), new ConnectionId(2));

        // The three inputs a transport would produce, as scripted hot observables (times in ticks).
        var arrivals = scheduler.CreateHotObservable(
            OnNext(100, new ClientArrived(a, "127.0.0.1:5001", alice)),
            OnNext(100, new ClientArrived(b, "127.0.0.1:5002", bob)));
        var lines = scheduler.CreateHotObservable(
            OnNext(200, new LineReceived(b, "bob")),
            OnNext(300, new LineReceived(a, "alice")),
            OnNext(400, new LineReceived(a, "Hi bob!")));
        var departures = scheduler.CreateHotObservable(
            OnNext(500, new ClientLeft(a, DisconnectReason.EndOfStream)));

        new Broadcaster(new ChatServerOptions(), scheduler, scheduler).Run(arrivals, lines, departures).Subscribe();
        scheduler.Start();

        // Each line reaches a writer one tick after the event that caused it (the ObserveOn hop to the writer).
        Assert.That(bob.Messages.Select(m => (m.Time, m.Value.Value.Text)), Is.EqualTo(new[]
        {
            (101, "What is your name?"),
            (201, "You are bob"),
            (202, "Current clients: bob"),
            (301, "alice has arrived"),
            (401, "alice: Hi bob!"),
            (501, "alice has left"),
        }));
    }

    // docs/design.md: end

    [Test]
    public void DesignPage_ShowsThisTestAsItIs()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "RxChat.sln")))
        {
            root = root.Parent ?? throw new InvalidOperationException("no RxChat.sln above the test's folder");
        }

        var source = File.ReadAllLines(Path.Combine(root.FullName, "samples", "Samples.Tests", "ReadmeExampleTests.cs"));
        var test = source.SkipWhile(l => !l.Contains("// docs/design.md: begin", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => !l.Contains("// docs/design.md: end", StringComparison.Ordinal))
            .Select(l => l.Length >= 4 ? l[4..] : l.Trim()).ToList();
        var page = File.ReadAllText(Path.Combine(root.FullName, "docs", "design.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

        Assert.That(page, Does.Contain(string.Join("\n", test).TrimEnd()));
    }
}
