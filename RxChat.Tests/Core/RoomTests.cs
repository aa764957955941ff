using NUnit.Framework;
using RxChat.Core;
using RxChat.Tests.Support;

namespace RxChat.Tests.Core;

/// <summary>
/// One room served by several nodes, in virtual time (PROTOCOL.md, Rooms across nodes): replicas of the fold fed
/// the same log entries, each with its own connections. Nodes 1, 2 and 3; entry times are the log's (seconds).
/// </summary>
public class RoomTests
{
    private static readonly ChatServerOptions Options = new() { RateLimit = 0, NodeTimeout = TimeSpan.FromSeconds(5), IdleTimeout = TimeSpan.Zero };

    // alice on node 1, bob on node 2, carol on node 3: they enter, talk, rename, whisper across nodes.
    private static RoomScript Conversation() => new RoomScript()
        .Arrive(1, 1, 1).Line(2, 1, 1, "alice")
        .Arrive(3, 2, 1).Line(4, 2, 1, "bob")
        .Arrive(5, 3, 1).Line(6, 3, 1, "carol")
        .Line(7, 1, 1, "hello from 1")
        .Line(8, 2, 1, "/nick robert")
        .Line(9, 3, 1, "/msg alice psst")
        .Line(10, 2, 1, "/me waves")
        .Line(11, 1, 1, "/who");

    [Test]
    public void Replicas_SameEntries_ReachTheSameRoomAndEachWritesOnlyItsOwnConnections()
    {
        var script = Conversation();
        var (one, two, three) = (script.Run(1, Options), script.Run(2, Options), script.Run(3, Options));

        Assert.Multiple(() =>
        {
            Assert.That(two.Room, Is.EqualTo(one.Room));
            Assert.That(three.Room, Is.EqualTo(one.Room));
            Assert.That(one.Received(1), Is.EqualTo(new[]
            {
                "What is your name?", "You are alice", "Current clients: alice",
                "bob has arrived", "carol has arrived",
                "alice: hello from 1",
                "bob is now known as robert",
                "carol (private): psst",
                "* robert waves",
                "Current clients: alice, robert, carol",
            }));
            Assert.That(two.Received(1), Is.EqualTo(new[]
            {
                "What is your name?", "You are bob", "Current clients: alice, bob",
                "carol has arrived",
                "alice: hello from 1",
                "bob is now known as robert",
                "* robert waves",
            }));
            Assert.That(three.Received(1), Is.EqualTo(new[]
            {
                "What is your name?", "You are carol", "Current clients: alice, bob, carol",
                "alice: hello from 1",
                "bob is now known as robert",
                "-> alice: psst",
                "* robert waves",
            }));
            Assert.That(one.Events.Messages.Select(m => m.Value.Value).OfType<ClientEntered>().Select(e => e.Name), Is.EqualTo(new[] { "alice" }),
                "each node reports its own connections");
        });
    }

    [Test]
    public void NameClaims_SameNameFromTwoNodes_TheFirstInTheLogWins()
    {
        var script = new RoomScript()
            .Arrive(1, 1, 1).Arrive(1.5, 2, 1)
            .Line(2, 1, 1, "dana").Line(2.5, 2, 1, "DANA");
        var (one, two) = (script.Run(1, Options), script.Run(2, Options));

        Assert.Multiple(() =>
        {
            Assert.That(one.Received(1), Is.EqualTo(new[] { "What is your name?", "You are dana", "Current clients: dana" }));
            Assert.That(two.Received(1), Is.EqualTo(new[] { "What is your name?", "error: name 'DANA' is taken", "What is your name?" }));
            Assert.That(two.Room, Is.EqualTo(one.Room));
        });
    }

    // Node 3 goes silent after t=6.5; nodes 1 and 2 send heartbeats about every second. The first entry more than
    // 5 s after node 3's last (node 1's heartbeat at t=11.6) counts it gone.
    private static RoomScript SilentNodeThree() => new RoomScript()
        .Arrive(1, 1, 1).Line(1.5, 1, 1, "alice")
        .Arrive(2, 2, 1).Line(2.5, 2, 1, "bob")
        .Arrive(3, 3, 1).Line(3.5, 3, 1, "carol")
        .Arrive(4, 3, 2).Line(4.5, 3, 2, "dave")
        .Line(5, 3, 2, "still here")
        .Heartbeat(5.5, 1).Heartbeat(6, 2)
        .Heartbeat(6.5, 3)
        .Heartbeat(7, 1).Heartbeat(8, 2).Heartbeat(9, 1).Heartbeat(10, 2).Heartbeat(11, 1)
        .Heartbeat(11.4, 2)
        .Heartbeat(11.6, 1)
        .Line(12, 2, 1, "is anyone there")
        .Arrive(13, 1, 2).Line(13.5, 1, 2, "carol");

    [Test]
    public void SilentNode_PastTheNodeTimeout_ItsClientsLeaveOnceInArrivalOrderAtTheSamePointEverywhere()
    {
        var script = SilentNodeThree();
        var (one, two) = (script.Run(1, Options), script.Run(2, Options));

        Assert.Multiple(() =>
        {
            Assert.That(one.Received(1).SkipWhile(l => l != "dave: still here"), Is.EqualTo(new[]
            {
                "dave: still here", "carol has left", "dave has left", "bob: is anyone there", "carol has arrived",
            }));
            Assert.That(two.Received(1).SkipWhile(l => l != "dave: still here"), Is.EqualTo(new[]
            {
                "dave: still here", "carol has left", "dave has left", "bob: is anyone there", "carol has arrived",
            }));
            Assert.That(one.Received(2), Is.EqualTo(new[] { "What is your name?", "You are carol", "Current clients: alice, bob, carol" }),
                "the gone node's names are free again");
            Assert.That(two.Room, Is.EqualTo(one.Room));
            Assert.That(one.State.Liveness.Fenced, Is.EquivalentTo(new[] { 3L }));
        });
    }

    [Test]
    public void SilentNode_ComingBack_IsFencedItsConnectionsAreToldAndClosedAndItsLinesIgnored()
    {
        // Node 3 was stalled: what it says after being counted gone is ignored everywhere; its own replica, folding
        // its own departure, tells its connections and closes them.
        var script = SilentNodeThree().Line(14, 3, 1, "I was frozen");
        var (one, three) = (script.Run(1, Options), script.Run(3, Options));

        Assert.Multiple(() =>
        {
            Assert.That(three.Received(1).TakeLast(2), Is.EqualTo(new[] { "Disconnected: lost contact with the room", "(closed)" }));
            Assert.That(three.Received(2).TakeLast(2), Is.EqualTo(new[] { "Disconnected: lost contact with the room", "(closed)" }));
            Assert.That(one.Received(1), Has.None.Contains("frozen"));
            Assert.That(three.Room, Is.EqualTo(one.Room));
            Assert.That(three.Events.Messages.Select(m => m.Value.Value).OfType<NodeGone>().Select(g => (g.Node, g.Stopped)), Is.EqualTo(new[] { (3L, false) }));
        });
    }

    [Test]
    public void WholeLogSilent_PastTheNodeTimeout_CountsNobodyGone()
    {
        // Redis itself was away: no node could append, so no node is to blame.
        var script = new RoomScript()
            .Arrive(1, 1, 1).Line(1.5, 1, 1, "alice")
            .Arrive(2, 2, 1).Line(2.5, 2, 1, "bob")
            .Line(30, 1, 1, "back")
            .Line(31, 2, 1, "me too");
        var one = script.Run(1, Options);

        Assert.Multiple(() =>
        {
            Assert.That(one.Received(1).TakeLast(2), Is.EqualTo(new[] { "alice: back", "bob: me too" }));
            Assert.That(one.State.Liveness.Fenced, Is.Empty);
        });
    }

    [Test]
    public void LogAwayShorterThanTheTimeout_ANodeWhoseLastEntryCameEarlier_IsNotCountedGone()
    {
        // Node 2's last entry before the outage is at t=3, node 1's at t=3.9; the log is away until t=8.5 (4.6 s,
        // less than the 5 s timeout), so node 2 looks silent for 5.5 s at node 1's first entry after it. The outage
        // counts as one heartbeat (1 s) toward anyone's silence: node 2 has been silent 1.9 s, and is not gone.
        var script = new RoomScript()
            .Arrive(1, 1, 1).Line(1.5, 1, 1, "alice")
            .Arrive(2, 2, 1).Line(2.5, 2, 1, "bob")
            .Heartbeat(3, 2).Heartbeat(3.5, 1).Heartbeat(3.9, 1)
            .Line(8.5, 1, 1, "during")
            .Line(9, 2, 1, "back");
        var (one, two) = (script.Run(1, Options), script.Run(2, Options));

        Assert.Multiple(() =>
        {
            Assert.That(one.Received(1).TakeLast(2), Is.EqualTo(new[] { "alice: during", "bob: back" }));
            Assert.That(two.Received(1).TakeLast(2), Is.EqualTo(new[] { "alice: during", "bob: back" }));
            Assert.That(one.State.Liveness.Fenced, Is.Empty);
        });
    }

    [Test]
    public void LogGapsLongerThanAHeartbeat_CountAsOne_TowardASilentNodesTimeout()
    {
        // Node 1 appends every 2 s from t=5 (its heartbeats are late): each such gap counts 1 s toward node 2's
        // silence, so node 2, silent from t=3, has been silent 2 s at t=5, then 3, 4, 5 and, at t=13, 6 s: gone there,
        // before alice's line, not at t=9 as wall-clock silence would have it.
        var script = new RoomScript()
            .Arrive(1, 1, 1).Line(1.5, 1, 1, "alice")
            .Arrive(2, 2, 1).Line(2.5, 2, 1, "bob")
            .Heartbeat(3, 2).Heartbeat(4, 1)
            .Line(5, 1, 1, "a").Line(7, 1, 1, "b").Line(9, 1, 1, "c").Line(11, 1, 1, "d").Line(13, 1, 1, "e")
            .Line(15, 1, 1, "f");
        var one = script.Run(1, Options);

        Assert.That(one.Received(1).SkipWhile(l => l != "alice: a"), Is.EqualTo(new[]
        {
            "alice: a", "alice: b", "alice: c", "alice: d", "bob has left", "alice: e", "alice: f",
        }));
    }

    [Test]
    public void NodeStoppedGracefully_TheOthersHearEachOfItsClientsLeaveOnce()
    {
        var script = new RoomScript()
            .Arrive(1, 1, 1).Line(1.5, 1, 1, "alice")
            .Arrive(2, 2, 1).Line(2.5, 2, 1, "bob")
            .Arrive(3, 2, 2).Line(3.5, 2, 2, "bea")
            .Stopped(4, 2)
            .Line(5, 2, 1, "too late");
        var one = script.Run(1, Options);

        Assert.That(one.Received(1).Skip(3), Is.EqualTo(new[] { "bob has arrived", "bea has arrived", "bob has left", "bea has left" }));
    }

    [Test]
    public void History_KeepsTheLastHistorySizeChatLines_AndAnswersAtMostN()
    {
        var options = Options with { HistorySize = 3 };
        var script = new RoomScript()
            .Arrive(1, 1, 1).Line(1.5, 1, 1, "alice")
            .Arrive(2, 2, 1).Line(2.5, 2, 1, "bob")
            .Line(3, 1, 1, "one").Line(4, 2, 1, "two").Line(5, 1, 1, "/msg bob private").Line(6, 2, 1, "/me three")
            .Line(7, 1, 1, "/nick al").Line(8, 2, 1, "four")
            .Line(9, 1, 1, "/history").Line(10, 1, 1, "/history 2")
            .Line(11, 1, 1, "/history 0").Line(12, 1, 1, "/history 101").Line(13, 1, 1, "/history x");
        var (one, two) = (script.Run(1, options), script.Run(2, options));

        var epoch = new DateTimeOffset(0, TimeSpan.Zero);
        string At(double seconds) => epoch.AddSeconds(seconds).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            Assert.That(one.Received(1).SkipWhile(l => l != "bob: four").Skip(1), Is.EqualTo(new[]
            {
                "History: 3 lines", $"[{At(4)}] bob: two", $"[{At(6)}] * bob three", $"[{At(8)}] bob: four",
                "History: 2 lines", $"[{At(6)}] * bob three", $"[{At(8)}] bob: four",
                "error: /history takes a number of lines from 1 to 100: /history [N]",
                "error: /history takes a number of lines from 1 to 100: /history [N]",
                "error: /history takes a number of lines from 1 to 100: /history [N]",
            }));
            Assert.That(two.Room, Is.EqualTo(one.Room), "the same history on every node");
            Assert.That(two.Received(1), Has.None.StartsWith("History:"), "only the asker hears it");
        });
    }

    [Test]
    public void History_KeepsNoMoreThanHistoryCanShow_AndAnswersAsIfItKeptHistorySize()
    {
        var script = new RoomScript().Arrive(1, 1, 1).Line(1.5, 1, 1, "alice");
        for (var i = 1; i <= 150; i++)
        {
            script.Line(2 + i, 1, 1, $"line {i}");
        }

        var one = script.Line(200, 1, 1, "/history 100").Run(1, Options with { HistorySize = 1000 });

        var answer = one.Received(1).SkipWhile(l => !l.StartsWith("History:", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(answer[0], Is.EqualTo("History: 100 lines"));
            Assert.That(answer.Skip(1).Select(l => l[(l.IndexOf(']') + 2)..]), Is.EqualTo(Enumerable.Range(51, 100).Select(i => $"alice: line {i}")));
            Assert.That(one.State.HistoryCount, Is.EqualTo(100), "lines past the most /history shows are not kept");
            Assert.That(one.State.History.Count(), Is.EqualTo(100));
        });
    }

    [Test]
    public void History_KeepsTheBroadcastsOwnLine_NotACopy()
    {
        var state = ChatState.Empty(RoomSettings.From(Options));
        var alice = new Client(new ConnectionId(1), "127.0.0.1:5000", Inbox: null, Name: "alice") { InRoom = true };

        var step = ChatRules.Broadcast(state, alice, "alice: hi", new SaidMessage(Member.Of(alice), "hi"), new MessageSent(alice.Id, "alice", "hi", MessageKind.Chat));

        var broadcast = step.Deliveries.OfType<Broadcast>().Single();
        Assert.That(step.State.History.Single().Line, Is.SameAs(broadcast.Line));
    }

    [Test]
    public void History_HistorySizeZero_KeepsNothing()
    {
        var script = new RoomScript().Arrive(1, 1, 1).Line(1.5, 1, 1, "alice").Line(2, 1, 1, "hi").Line(3, 1, 1, "/history 5");

        Assert.That(script.Run(1, Options with { HistorySize = 0 }).Received(1).Last(), Is.EqualTo("History: 0 lines"));
    }
}
