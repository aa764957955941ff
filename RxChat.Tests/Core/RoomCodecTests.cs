using NUnit.Framework;
using RxChat.Core;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Core;

/// <summary>The room's events and snapshots as Redis keeps them: what one node writes, another reads alike.</summary>
public class RoomCodecTests
{
    [Test]
    public void Events_WrittenByOneNode_ReadByAnotherAsTheSameEvents()
    {
        var id = RoomScript.Id(7, 3);
        var inbox = new ClientArrived(id, "[::1]:5000", new System.Reactive.Subjects.Subject<OutgoingLine>());
        ChatEvent[] sent =
        [
            new ClientWired(inbox, null!),
            new LineReceived(id, "hi \"there\"\n\t\\ ünïcödé"),
            new ClientLeft(id, DisconnectReason.SlowConsumer),
            new NodeHeartbeat(),
            new NodeStopped(),
            new NodeRetired(4),
        ];

        var read = sent.Select(e => RoomCodec.ReadEvent(RoomCodec.Write(e)!, 7)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(sent.Select(RoomCodec.Write), Has.None.Contains("\n"), "one line each");
            Assert.That(read[0], Is.EqualTo(new ClientConnected(id, "[::1]:5000")));
            Assert.That(read.Skip(1), Is.EqualTo(sent.Skip(1)));
        });
    }

    [Test]
    public void DoorCommands_WrittenByOneNode_ReadByAnotherAsTheSameCommands()
    {
        var id = RoomScript.Id(7, 3);
        DoorCommand[] commands =
        [
            new Register("~alice"), new JoinRoom(), new PartRoom(null), new PartRoom("see you"), new QuitRoom(null), new QuitRoom("good night"),
            new Ask(new DoorQuery(QueryKind.Whois, ["bob", "carol"])), new Ask(new DoorQuery(QueryKind.List, [])),
            new Echo(["PONG irc.test :x", "324 #rxchat +nt"]), new Echo([]), new Quietly(), new SetAway("lunch"), new SetAway(null),
        ];

        var read = commands.Select(c => (LineReceived)RoomCodec.ReadEvent(RoomCodec.Write(new LineReceived(id, new ReceivedLine("text") { Command = c }))!, 7)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(read.Select(r => r.Line.Text), Is.All.EqualTo("text"));
            Assert.That(read.Select(r => Describe(r.Line.Command!)), Is.EqualTo(commands.Select(Describe)));
        });
    }

    [Test]
    public void ClientWired_AtAnotherDoor_IsReadWithItsDoor()
    {
        var id = RoomScript.Id(7, 3);
        var arrival = new ClientArrived(id, "127.0.0.1:5000", new System.Reactive.Subjects.Subject<OutgoingLine>(), Door.Irc);

        Assert.That(RoomCodec.ReadEvent(RoomCodec.Write(new ClientWired(arrival, null!))!, 7), Is.EqualTo(new ClientConnected(id, "127.0.0.1:5000", Door.Irc)));
    }

    [TestCase("{\"k\":\"l\",\"c\":1,\"t\":\"x\",\"o\":\"z\"}")]
    [TestCase("{\"k\":\"l\",\"c\":1,\"t\":\"x\",\"o\":\"a\",\"q\":\"7\",\"n\":[]}")]
    public void DoorCommand_Unknown_IsAFormatException(string payload)
    {
        Assert.That(() => RoomCodec.ReadEvent(payload, 1), Throws.InstanceOf<FormatException>());
    }

    // Records holding arrays compare them by reference: compare what they say.
    private static string Describe(DoorCommand command) => command switch
    {
        Ask ask => $"Ask {ask.Query.Kind} {string.Join(',', ask.Query.Names)}",
        Echo echo => $"Echo {string.Join('|', echo.Lines)}",
        _ => command.ToString(),
    };

    [Test]
    public void Snapshot_KeepsAClientsDoorUserAndAwayMessage()
    {
        var id = RoomScript.Id(2, 1);
        var settings = new RoomSettings(TimeSpan.FromSeconds(5), 10);
        var alice = new Client(id, "127.0.0.1:5000", Inbox: null, "alice", 1) { Door = Door.Irc, User = "~alice", InRoom = true, Away = "at lunch" };
        var state = ChatState.Empty(settings) with
        {
            Connections = ChatState.Empty(settings).Connections.Add(id, alice),
            Names = ChatState.Empty(settings).Names.Add("alice", id),
            Roster = ChatState.Empty(settings).Roster.Add(1, id),
        };

        var read = RoomCodec.ReadSnapshot(RoomCodec.WriteSnapshot(state), settings).Connections[id];

        Assert.That((read.Door, read.User, read.InRoom, read.Away), Is.EqualTo((Door.Irc, "~alice", true, "at lunch")));
    }

    [Test]
    public void LocalEvents_NeverLeaveTheNode()
    {
        Assert.That(
            new ChatEvent[] { new LineRefused(default, ErrorKind.SlowDown, "error: slow down"), new ServerStopping(), new RoomLost(), new ContactLost(), new RoomLoaded(ChatState.Empty(new(TimeSpan.Zero, 0))) }.Select(RoomCodec.Write),
            Is.All.Null);
    }

    [TestCase("{\"k\":\"q\"}")]
    [TestCase("not json")]
    [TestCase("{\"k\":\"l\",\"c\":1}")]
    public void Event_Unreadable_IsAFormatException(string payload)
    {
        Assert.That(() => RoomCodec.ReadEvent(payload, 1), Throws.InstanceOf<FormatException>());
    }

    [Test]
    public void Snapshot_OfAFoldedRoom_ReadsBackAsTheSameRoomWithEveryClientRemote()
    {
        var options = new ChatServerOptions { RateLimit = 0, HistorySize = 2 };
        var replica = new RoomScript()
            .Arrive(1, 1, 1).Line(1.5, 1, 1, "alice")
            .Arrive(2, 2, 1).Line(2.5, 2, 1, "bob")
            .Arrive(3, 2, 2)
            .Line(4, 1, 1, "one").Line(5, 2, 1, "two").Line(6, 1, 1, "three")
            .Heartbeat(7, 3)
            .Run(1, options);

        var state = RoomCodec.ReadSnapshot(RoomCodec.WriteSnapshot(replica.State), RoomSettings.From(options));

        Assert.Multiple(() =>
        {
            Assert.That(state.RosterNames, Is.EqualTo(replica.State.RosterNames));
            Assert.That(state.Connections.Keys, Is.EquivalentTo(replica.State.Connections.Keys), "the unnamed connection too");
            Assert.That(state.Connections.Values.Where(c => c.IsLocal), Is.Empty);
            Assert.That(state.History, Is.EqualTo(replica.State.History));
            Assert.That(state.Liveness.Nodes, Is.EquivalentTo(replica.State.Liveness.Nodes));
            Assert.That(state.Liveness.Fenced, Is.EquivalentTo(replica.State.Liveness.Fenced));
            Assert.That((state.NextArrival, state.Seq, state.Time), Is.EqualTo((replica.State.NextArrival, replica.State.Seq, replica.State.Time)));
            Assert.That(RoomCodec.ReadSnapshot(RoomCodec.WriteSnapshot(replica.State), new RoomSettings(TimeSpan.FromSeconds(5), 1)).History.Select(h => h.Text),
                Is.EqualTo(new[] { "alice: three" }), "kept to the room's history size");
        });
    }
}
