using System.Collections.Immutable;
using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using NUnit.Framework;
using RxChat.Core;

namespace RxChat.Tests.Core;

/// <summary>
/// The fold's rules for door commands (<see cref="DoorRules"/>, PROTOCOL.md, Doors) alone, without Rx or sockets:
/// registering a name before entering, joining and leaving the room while connected, quitting with words, asking
/// about the room, echoes in the connection's order; and what each line means (<see cref="ChatMessage"/>) for a door
/// that renders it.
/// </summary>
public class DoorRulesTests
{
    private static readonly RoomSettings Settings = new(TimeSpan.FromSeconds(5), 100);
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void Register_NamesTheClientWithoutEnteringTheRoom_AndWelcomesIt()
    {
        var step = Fold(Irc(1), Say(1, "alice", new Register("~alice")));

        var alice = step.State.Connections.Values.Single();
        var welcome = Sends(step).Single().Message as WelcomeMessage;
        Assert.Multiple(() =>
        {
            Assert.That((alice.Name, alice.InRoom, alice.User, alice.Door), Is.EqualTo(("alice", false, "~alice", Door.Irc)));
            Assert.That(welcome, Is.Not.Null);
            Assert.That((welcome!.Self.Name, welcome.Self.User, welcome.Clients), Is.EqualTo(("alice", "~alice", 1)));
            Assert.That(step.Deliveries.OfType<Broadcast>(), Is.Empty, "nobody hears of a name before it joins");
            Assert.That(step.Reported.OfType<ClientEntered>().Single().Name, Is.EqualTo("alice"));
        });
    }

    [TestCase("bob", "NameTaken")]
    [TestCase("BOB", "NameTaken")]
    [TestCase("b*b", "NameInvalid")]
    [TestCase("", "NameInvalid")]
    public void Register_ANameTakenAtAnyDoorOrInvalid_IsRefusedWithItsKindAndSubject(string name, string refusal)
    {
        var kind = Enum.Parse<ErrorKind>(refusal);
        var step = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, name, new Register("~x")));

        var error = Sends(step).Single();
        Assert.Multiple(() =>
        {
            Assert.That(error.Message, Is.EqualTo(new ErrorMessage(kind, name)));
            Assert.That(error.Text, Does.StartWith("error: "));
            Assert.That(step.State.Connections[new ConnectionId(2)].IsNamed, Is.False);
        });
    }

    [Test]
    public void Register_AgainOnceNamed_RenamesAsNickDoes_AndTheSameNameChangesNothing()
    {
        var named = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, "alice", new Register("~alice")), Say(2, "", new JoinRoom()));

        var renamed = Apply(named, Say(2, "al", new Register("~alice")));
        var same = Apply(renamed, Say(2, "al", new Register("~alice")));

        Assert.Multiple(() =>
        {
            Assert.That(renamed.Deliveries.OfType<Broadcast>().Single().Line.Message, Is.InstanceOf<RenamedMessage>());
            Assert.That(renamed.Deliveries.OfType<Broadcast>().Single().Line.Text, Is.EqualTo("alice is now known as al"));
            Assert.That(same.Deliveries, Is.Empty);
            Assert.That(Unchanged(same, renamed), Is.True);
        });
    }

    [Test]
    public void Join_EntersTheRoom_TheOthersHearTheArrival_AndTheNewcomerGetsTheMembersInOrder()
    {
        var step = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, "alice", new Register("~alice")), Say(2, "", new JoinRoom()));

        var entered = Sends(step).Single(s => s.Message is EnteredMessage).Message as EnteredMessage;
        var arrival = step.Deliveries.OfType<Broadcast>().Single().Line;
        Assert.Multiple(() =>
        {
            Assert.That(entered!.Members.Select(m => m.Name), Is.EqualTo(new[] { "bob", "alice" }));
            Assert.That(arrival.Text, Is.EqualTo("alice has arrived"));
            Assert.That(arrival.Message, Is.InstanceOf<ArrivedMessage>());
            Assert.That(step.Deliveries.OfType<Join>().Single().Client.Name, Is.EqualTo("alice"), "its inbox follows the broadcast from here");
            Assert.That(step.State.Connections[new ConnectionId(2)].InRoom, Is.True);
        });
    }

    [Test]
    public void Join_WhenInTheRoom_ChangesNothing()
    {
        var joined = Fold(Irc(1), Say(1, "alice", new Register("~alice")), Say(1, "", new JoinRoom()));

        var again = Apply(joined, Say(1, "", new JoinRoom()));

        Assert.That((Unchanged(again, joined), again.Deliveries.Length), Is.EqualTo((true, 0)));
    }

    [Test]
    public void Part_LeavesTheRoomWithItsWords_KeepsTheName_AndTheClientMayJoinAgain()
    {
        var joined = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, "alice", new Register("~alice")), Say(2, "", new JoinRoom()));

        var parted = Apply(joined, Say(2, "", new PartRoom("see you")));
        var chat = Apply(parted, Say(2, "anyone?"));
        var back = Apply(chat, Say(2, "", new JoinRoom()));

        var left = parted.Deliveries.OfType<Broadcast>().Single().Line;
        Assert.Multiple(() =>
        {
            Assert.That(left.Text, Is.EqualTo("alice has left"));
            Assert.That(left.Message, Is.EqualTo(new LeftMessage(Member(joined, joined, 2), null, "see you")), "who it was as it left");
            Assert.That(parted.Deliveries.OfType<Part>().Single().Client.Name, Is.EqualTo("alice"));
            Assert.That(parted.State.Connections[new ConnectionId(2)], Has.Property(nameof(Client.InRoom)).False.And.Property(nameof(Client.Name)).EqualTo("alice"));
            Assert.That(Sends(chat).Single().Message, Is.EqualTo(new ErrorMessage(ErrorKind.NotInRoom)), "out of the room, a chat line reaches nobody");
            Assert.That(back.Deliveries.OfType<Broadcast>().Single().Line.Text, Is.EqualTo("alice has arrived"));
        });
    }

    [Test]
    public void Part_WhenNotInTheRoom_IsNotOnChannel()
    {
        var step = Fold(Irc(1), Say(1, "alice", new Register("~alice")), Say(1, "", new PartRoom(null)));

        Assert.That(Sends(step).Single().Message, Is.EqualTo(new ErrorMessage(ErrorKind.NotOnChannel)));
    }

    [TestCase("join")]
    [TestCase("part")]
    [TestCase("ask")]
    public void Commands_BeforeRegistration_AreNotRegistered(string what)
    {
        DoorCommand command = what switch
        {
            "join" => new JoinRoom(),
            "part" => new PartRoom(null),
            _ => new Ask(new DoorQuery(QueryKind.Names, [])),
        };

        var step = Fold(Irc(1), Say(1, "", command));

        Assert.That(Sends(step).Single().Message, Is.EqualTo(new ErrorMessage(ErrorKind.NotRegistered)));
    }

    [Test]
    public void Quit_WithWords_LeavesAsQuitAndTheWordsTravel()
    {
        var joined = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, "alice", new Register("~alice")), Say(2, "", new JoinRoom()));

        var step = Apply(joined, Say(2, "/quit", new QuitRoom("good night")));

        var left = step.Deliveries.OfType<Broadcast>().Single().Line;
        Assert.Multiple(() =>
        {
            Assert.That(left.Text, Is.EqualTo("alice has left"));
            Assert.That(left.Message, Is.EqualTo(new LeftMessage(Member(joined, joined, 2), DisconnectReason.Quit, "good night")));
            Assert.That(step.Reported.OfType<ConnectionClosed>().Single().Reason, Is.EqualTo(DisconnectReason.Quit));
            Assert.That(step.State.Connections.ContainsKey(new ConnectionId(2)), Is.False);
        });
    }

    [Test]
    public void Ask_AnswersWithTheRoomsMembers_InOrderOfArrival_ThoseOnlyNamedToo()
    {
        var state = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, "alice", new Register("~alice")), Say(2, "", new JoinRoom()), Irc(3), Say(3, "erin", new Register("~erin")));

        var step = Apply(state, Say(2, "", new Ask(new DoorQuery(QueryKind.Who, ["*"]))));

        var answer = (AnswerMessage)Sends(step).Single().Message!;
        Assert.Multiple(() =>
        {
            Assert.That(answer.Members.Select(m => (m.Name, m.InRoom, m.Door, m.User)),
                Is.EqualTo(new[] { ("bob", true, Door.Line, "nc"), ("alice", true, Door.Irc, "~alice"), ("erin", false, Door.Irc, "~erin") }));
            Assert.That(answer.Clients, Is.EqualTo(3));
            Assert.That((answer.Query.Kind, answer.Query.Names.Single()), Is.EqualTo((QueryKind.Who, "*")));
            Assert.That(Unchanged(step, state), Is.True, "asking changes nothing");
        });
    }

    [Test]
    public void Echo_SendsItsLinesToTheSenderAlone_EvenBeforeRegistration()
    {
        var step = Fold(Irc(1), Say(1, "", new Echo(["PONG irc.test :x", "422 :MOTD File is missing"])));

        var echo = Sends(step).Single();
        Assert.Multiple(() =>
        {
            Assert.That(echo.Message, Is.InstanceOf<EchoMessage>());
            Assert.That(((EchoMessage)echo.Message!).Lines, Is.EqualTo(new[] { "PONG irc.test :x", "422 :MOTD File is missing" }));
            Assert.That(step.Deliveries.OfType<Broadcast>(), Is.Empty);
        });
    }

    [Test]
    public void ChatLines_CarryTheirMeaning_ForEveryDoor()
    {
        var state = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, "alice", new Register("~alice")), Say(2, "", new JoinRoom()));

        var said = Apply(state, Say(1, "hi alice")).Deliveries.OfType<Broadcast>().Single().Line;
        var acted = Apply(state, Say(2, "/me waves")).Deliveries.OfType<Broadcast>().Single().Line;
        var told = Sends(Apply(state, Say(1, "/msg alice psst")));

        Assert.Multiple(() =>
        {
            Assert.That((said.Text, said.Message), Is.EqualTo(("bob: hi alice", (ChatMessage)new SaidMessage(Member(state, state, 1), "hi alice"))));
            Assert.That((acted.Text, acted.Message), Is.EqualTo(("* alice waves", (ChatMessage)new ActedMessage(Member(state, state, 2), "waves"))));
            Assert.That(told.Select(l => l.Message?.GetType().Name), Is.EquivalentTo(new[] { nameof(PrivateMessage), nameof(PrivateEchoMessage) }));
            Assert.That(told.Select(l => l.Text), Is.EquivalentTo(new[] { "bob (private): psst", "-> alice: psst" }));
        });
    }

    // The same clients, names and roster (the sequence number moves on with every entry).
    private static bool Unchanged(ChatStep after, ChatStep before) => after.State == before.State with { Seq = after.State.Seq };

    [Test]
    public void Quietly_ALineThatWouldBeRefused_DrawsNoAnswer_AndOneThatIsNotIsSaid()
    {
        var state = Fold(Line(1), Say(1, "bob"), Irc(2), Say(2, "alice", new Register("~alice")), Say(2, "", new JoinRoom()));

        var toNobody = Apply(state, Say(2, "/msg nobody psst", new Quietly()));
        var toBob = Apply(state, Say(2, "/msg bob psst", new Quietly()));
        var unregistered = Fold(Irc(3), Say(3, "hello", new Quietly()));

        Assert.Multiple(() =>
        {
            Assert.That(toNobody.Deliveries, Is.Empty, "IRC's NOTICE is never answered automatically");
            Assert.That(Sends(toBob).Select(l => l.Text), Is.EquivalentTo(new[] { "alice (private): psst", "-> bob: psst" }));
            Assert.That(unregistered.Deliveries, Is.Empty);
        });
    }

    private static Member Member(ChatStep now, ChatStep then, long id) =>
        RxChat.Core.Member.Of(now.State.Connections.TryGetValue(new ConnectionId(id), out var client) ? client : then.State.Connections[new ConnectionId(id)]);

    private static ClientWired Wired(long id, Door door)
    {
        var arrival = new ClientArrived(new ConnectionId(id), $"127.0.0.1:{5000 + id}", Observer.Create<OutgoingLine>(_ => { }), door);
        return new ClientWired(arrival, ClientInbox.Wire(arrival.Writer, Observable.Never<OutgoingLine>(), ImmediateScheduler.Instance, rejoins: door == Door.Irc));
    }

    private static ChatEvent Irc(long id) => Wired(id, Door.Irc);

    private static ChatEvent Line(long id) => Wired(id, Door.Line);

    private static ChatEvent Say(long id, string text, DoorCommand? command = null) =>
        new LineReceived(new ConnectionId(id), new ReceivedLine(text) { Command = command });

    private static ChatStep Fold(params ChatEvent[] events)
    {
        var step = ChatStep.Unchanged(ChatState.Empty(Settings));
        foreach (var e in events)
        {
            step = Apply(step, e);
        }

        return step;
    }

    private static long _seq;

    private static ChatStep Apply(ChatStep step, ChatEvent e) =>
        ChatRules.Apply(step.State, new RoomEntry(Interlocked.Increment(ref _seq), Start, e, Local: false, 0));

    private static List<OutgoingLine> Sends(ChatStep step) => [.. step.Deliveries.OfType<Send>().Select(s => s.Line)];
}
