using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using NUnit.Framework;
using RxChat.Core;

namespace RxChat.Tests.Core;

/// <summary>
/// <see cref="ChatRules.Apply"/> and <see cref="NodeRules.Admit"/> alone, without Rx (STYLE.md, tests layer a): one
/// entry at a time from a state built by folding, asserting on the step's state, deliveries and reports. The edges
/// the pipeline tests do not reach.
/// </summary>
public class ChatRulesTests
{
    private static readonly RoomSettings Settings = new(TimeSpan.FromSeconds(5), 100);
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void Arrival_WhileStopping_IsRefusedWithTheShutdownLine()
    {
        var stopped = Fold(Local(new ServerStopping())).State;

        var step = ChatRules.Apply(stopped, Room(1, Wired(1)));

        Assert.Multiple(() =>
        {
            Assert.That(Lines(step), Is.EqualTo(new[] { "Server shutting down", "(close)" }));
            Assert.That(step.Reported.OfType<ConnectionClosed>().Single().Reason, Is.EqualTo(DisconnectReason.Shutdown));
        });
    }

    [Test]
    public void Entry_AfterTheStop_ChangesNothing()
    {
        var stopped = Fold(Local(new ServerStopping())).State;

        var step = ChatRules.Apply(stopped, Room(2, new ClientConnected(new ConnectionId(1) { Node = 2 }, "10.0.0.2:5000"), node: 2));

        Assert.Multiple(() =>
        {
            Assert.That(step.State, Is.SameAs(stopped));
            Assert.That(step.Deliveries, Is.Empty);
            Assert.That(stopped.Stopping, Is.True);
        });
    }

    [Test]
    public void Stop_EveryLocalConnection_GetsTheClosingLineThenIsClosed_AndTheLineIsNeverDropped()
    {
        var step = ChatRules.Apply(Fold(Room(1, Wired(1)), Room(2, Wired(2))).State, Local(new ServerStopping()));

        Assert.Multiple(() =>
        {
            Assert.That(Lines(step), Is.EqualTo(new[] { "Server shutting down", "(close)", "Server shutting down", "(close)" }));
            Assert.That(step.Deliveries.OfType<Send>().All(s => s.Line.IsClosing), Is.True);
            Assert.That(step.Reported.OfType<ConnectionClosed>().Select(c => c.Reason), Is.All.EqualTo(DisconnectReason.Shutdown));
        });
    }

    [TestCase(DisconnectReason.ServerFull, "error: server full")]
    [TestCase(DisconnectReason.RoomUnavailable, "error: room unavailable")]
    [TestCase(DisconnectReason.Shutdown, "Server shutting down")]
    public void LocalRefusal_SaysWhy_ThenCloses(DisconnectReason reason, string line)
    {
        var step = ChatRules.Apply(Fold().State, Local(Wired(1) with { Refused = reason }));

        Assert.Multiple(() =>
        {
            Assert.That(Lines(step), Is.EqualTo(new[] { line, "(close)" }));
            Assert.That(step.Reported.Select(e => e.GetType().Name), Is.EqualTo(new[] { "ConnectionOpened", "ConnectionClosed" }));
        });
    }

    [Test]
    public void LocalRefusal_OfANewcomerThatLeftWhileWaiting_ClosesWithoutAWord()
    {
        var step = ChatRules.Apply(Fold().State, Local(Wired(1) with { Refused = DisconnectReason.EndOfStream }));

        Assert.That(Lines(step), Is.EqualTo(new[] { "(close)" }));
    }

    [Test]
    public void Line_FromAnUnknownConnection_OrTooLong_ChangesNothing()
    {
        var state = Fold(Room(1, Wired(1))).State;

        var unknown = ChatRules.Apply(state, Room(2, new LineReceived(new ConnectionId(9), "alice")));
        var tooLong = ChatRules.Apply(state, Room(2, new LineReceived(new ConnectionId(1), ReceivedLine.TooLong)));

        Assert.Multiple(() =>
        {
            Assert.That(unknown.Deliveries, Is.Empty);
            Assert.That(unknown.State.Names, Is.Empty);
            Assert.That(tooLong.Deliveries, Is.Empty);
            Assert.That(tooLong.State.Connections[new ConnectionId(1)].IsNamed, Is.False);
        });
    }

    [Test]
    public void Arrival_OfAConnectionAlreadyThere_ChangesNothing()
    {
        var state = Fold(Room(1, Wired(1))).State;

        var again = ChatRules.Apply(state, Room(2, Wired(1)));

        Assert.Multiple(() =>
        {
            Assert.That(again.Deliveries, Is.Empty);
            Assert.That(again.Reported, Is.Empty);
        });
    }

    [Test]
    public void AnotherNodesClients_TheirEventsAreNeverReportedHere()
    {
        // Reports are this node's: another node's connection arriving, entering, speaking, renaming, whispering and
        // leaving reports nothing here, though the room's state follows it.
        var remote = new ConnectionId(1) { Node = 2 };
        var steps = FoldSteps(
            Room(1, Wired(1)), Room(2, new LineReceived(new ConnectionId(1), "alice")),
            Room(3, new ClientConnected(remote, "10.0.0.2:5000"), node: 2),
            Room(4, new LineReceived(remote, "bob"), node: 2),
            Room(5, new LineReceived(remote, "hi"), node: 2),
            Room(6, new LineReceived(remote, "/nick robert"), node: 2),
            Room(7, new LineReceived(remote, "/msg alice psst"), node: 2),
            Room(8, new LineReceived(remote, "/me waves"), node: 2),
            Room(9, new ClientLeft(remote, DisconnectReason.Quit), node: 2));

        Assert.Multiple(() =>
        {
            Assert.That(steps.Skip(2).SelectMany(s => s.Reported).Where(e => e is not NodeJoined), Is.Empty);
            Assert.That(steps[^1].State.RosterNames, Is.EqualTo(new[] { "alice" }));
        });
    }

    [Test]
    public void ThisNodesClients_TheirEventsAreReported()
    {
        var steps = FoldSteps(
            Room(1, Wired(1)), Room(2, new LineReceived(new ConnectionId(1), "alice")), Room(3, new LineReceived(new ConnectionId(1), "hi")),
            Room(4, new LineReceived(new ConnectionId(1), "/nick alicia")), Room(5, new LineReceived(new ConnectionId(1), "/msg alicia psst")),
            Room(6, new ClientLeft(new ConnectionId(1), DisconnectReason.Quit)));

        Assert.That(steps.SelectMany(s => s.Reported).Select(e => e.GetType().Name), Is.EqualTo(new[]
        {
            "ConnectionOpened", "ClientEntered", "MessageSent", "ClientRenamed", "MessageSent", "ConnectionClosed",
        }));
    }

    [Test]
    public void NodeRetired_WhileLive_IsGoneAtOnce_ItsClientsLeave_AndItNeedsNoFence()
    {
        var remote = new ConnectionId(1) { Node = 2 };
        var state = Fold(
            Room(1, Wired(1)), Room(2, new LineReceived(new ConnectionId(1), "alice")),
            Room(3, new ClientConnected(remote, "10.0.0.2:5000"), node: 2), Room(4, new LineReceived(remote, "bob"), node: 2)).State;

        var step = ChatRules.Apply(state, Room(5, new NodeRetired(2)));

        Assert.Multiple(() =>
        {
            Assert.That(Lines(step), Is.EqualTo(new[] { "bob has left" }));
            Assert.That(step.Reported.OfType<NodeGone>().Single(), Is.EqualTo(new NodeGone(2, Stopped: false)));
            Assert.That(step.State.Liveness.Fenced, Is.Empty);
            Assert.That(step.State.Liveness.Nodes.Keys, Is.Empty);
        });
    }

    [Test]
    public void NodeStopped_ItsClientsLeave_ReportedAsStopped_AndNotFenced()
    {
        var remote = new ConnectionId(1) { Node = 2 };
        var state = Fold(Room(1, Wired(1)), Room(2, new ClientConnected(remote, "10.0.0.2:5000"), node: 2)).State;

        var step = ChatRules.Apply(state, Room(3, new NodeStopped(), node: 2));

        Assert.Multiple(() =>
        {
            Assert.That(step.Reported.OfType<NodeGone>().Single(), Is.EqualTo(new NodeGone(2, Stopped: true)));
            Assert.That(step.State.Liveness.Fenced, Is.Empty);
            Assert.That(step.State.Connections.Keys, Is.EqualTo(new[] { new ConnectionId(1) }));
        });
    }

    [Test]
    public void ANodesFirstEntry_ReportsItJoined()
    {
        var steps = FoldSteps(Room(1, new NodeHeartbeat(), node: 3), Room(2, new NodeHeartbeat(), node: 3));

        Assert.Multiple(() =>
        {
            Assert.That(steps[0].Reported, Is.EqualTo(new ServerEvent[] { new NodeJoined(3) }));
            Assert.That(steps[1].Reported, Is.Empty);
        });
    }

    [Test]
    public void ContactLost_EveryLocalConnectionIsToldAndClosed_NamedInArrivalOrder_ThenUnnamedByNumber_NeverDropped()
    {
        var state = Fold(
            Room(1, Wired(3)), Room(2, Wired(2)), Room(3, Wired(4)), Room(4, Wired(1)),
            Room(5, new LineReceived(new ConnectionId(4), "first")), Room(6, new LineReceived(new ConnectionId(1), "second"))).State;

        var step = ChatRules.Apply(state, Local(new ContactLost()));

        Assert.Multiple(() =>
        {
            Assert.That(step.Reported.OfType<ConnectionClosed>().Select(c => (c.Id.Value, c.Name, c.Reason)), Is.EqualTo(new[]
            {
                (4L, "first", DisconnectReason.LostContact), (1L, "second", DisconnectReason.LostContact),
                (2L, (string?)null, DisconnectReason.LostContact), (3L, null, DisconnectReason.LostContact),
            }));
            Assert.That(step.Deliveries.OfType<Send>().All(s => s.Line.IsClosing && s.Line.Text == "Disconnected: lost contact with the room"), Is.True);
            Assert.That(step.State.Connections, Is.Empty);
        });
    }

    [Test]
    public void IdleDeparture_SendsTheIdleLine_WhichIsNeverDropped()
    {
        var state = Fold(Room(1, Wired(1))).State;

        var step = ChatRules.Apply(state, Room(2, new ClientLeft(new ConnectionId(1), DisconnectReason.Idle)));

        Assert.Multiple(() =>
        {
            Assert.That(Lines(step), Is.EqualTo(new[] { "Disconnected: idle", "(close)" }));
            Assert.That(step.Deliveries.OfType<Send>().Single().Line.IsClosing, Is.True);
        });
    }

    [Test]
    public void History_OneLine_AnswersOne()
    {
        var state = Fold(Room(1, Wired(1)), Room(2, new LineReceived(new ConnectionId(1), "alice")),
            Room(3, new LineReceived(new ConnectionId(1), "one")), Room(4, new LineReceived(new ConnectionId(1), "two"))).State;

        var step = ChatRules.Apply(state, Room(5, new LineReceived(new ConnectionId(1), "/history 1")));

        Assert.That(Lines(step), Is.EqualTo(new[] { "History: 1 lines", "[00:00:04] alice: two" }));
    }

    [Test]
    public void Command_ASpaceRightAfterTheSlash_IsTheCommandSlash()
    {
        var state = Fold(Room(1, Wired(1)), Room(2, new LineReceived(new ConnectionId(1), "alice"))).State;

        var step = ChatRules.Apply(state, Room(3, new LineReceived(new ConnectionId(1), "/ who")));

        Assert.That(Lines(step), Is.EqualTo(new[] { "error: unknown command '/' (try /help)" }));
    }

    [Test]
    public void HistoryLine_EqualWhenTimeAndTextAre()
    {
        var line = new HistoryLine(Start, "alice: hi");

        Assert.Multiple(() =>
        {
            Assert.That(new HistoryLine(Start, "alice: hi"), Is.EqualTo(line));
            Assert.That(new HistoryLine(Start.AddSeconds(1), "alice: hi"), Is.Not.EqualTo(line));
            Assert.That(new HistoryLine(Start, "alice: ho"), Is.Not.EqualTo(line));
        });
    }

    [Test]
    public void NodeRules_NoConnectionLimit_TakesEveryArrival()
    {
        var state = NodeState.Empty(new ChatServerOptions { MaxClients = 0 });

        var admitted = NodeRules.Admit(state, Wired(1));

        var only = admitted.Admitted.Single();
        Assert.That((only.Local, ((ClientWired)only.Event).Refused), Is.EqualTo((false, (DisconnectReason?)null)), "to the room, not refused");
    }

    [Test]
    public void NodeRules_TheStop_GoesToThisNodesConnectionsAndToTheRoom()
    {
        var step = NodeRules.Admit(NodeState.Empty(new ChatServerOptions()), new ServerStopping());

        Assert.Multiple(() =>
        {
            Assert.That(step.Admitted.Select(a => (a.Event.GetType().Name, a.Local)), Is.EqualTo(new[] { ("ServerStopping", true), ("NodeStopped", false) }));
            Assert.That(step.State.Stopping, Is.True);
        });
    }

    [Test]
    public void NodeRules_ALineFromAConnectionNotTaken_GoesNowhere()
    {
        var step = NodeRules.Admit(NodeState.Empty(new ChatServerOptions()), new TimedLine(new LineReceived(new ConnectionId(7), "hi"), Start));

        Assert.That(step.Admitted, Is.Empty);
    }

    private static ClientWired Wired(long id)
    {
        var arrival = new ClientArrived(new ConnectionId(id), $"127.0.0.1:{5000 + id}", Observer.Create<OutgoingLine>(_ => { }));
        return new ClientWired(arrival, ClientInbox.Wire(arrival.Writer, Observable.Never<OutgoingLine>(), ImmediateScheduler.Instance));
    }

    private static RoomEntry Room(double seconds, ChatEvent e, long node = 0) => new((long)(seconds * 10), Start.AddSeconds(seconds), e, Local: false, node);

    private static RoomEntry Local(ChatEvent e) => new(0, Start, e, Local: true);

    private static ChatStep Fold(params RoomEntry[] entries) => FoldSteps(entries).LastOrDefault() ?? ChatStep.Unchanged(ChatState.Empty(Settings));

    private static List<ChatStep> FoldSteps(params RoomEntry[] entries)
    {
        var state = ChatState.Empty(Settings);
        var steps = new List<ChatStep>();
        foreach (var entry in entries)
        {
            var step = ChatRules.Apply(state, entry);
            steps.Add(step);
            state = step.State;
        }

        return steps;
    }

    // What a step sends, as texts; "(close)" for a connection closed.
    private static List<string> Lines(ChatStep step) => [.. step.Deliveries.Select(d => d switch
    {
        Send s => s.Line.Text,
        Broadcast b => b.Line.Text,
        Close => "(close)",
        _ => d.GetType().Name,
    })];
}
