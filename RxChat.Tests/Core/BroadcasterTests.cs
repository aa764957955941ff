using NUnit.Framework;
using RxChat.Core;
using RxChat.Tests.Support;
using static RxChat.Tests.Support.VirtualChat;

namespace RxChat.Tests.Core;

/// <summary>
/// The core on a <see cref="Microsoft.Reactive.Testing.TestScheduler"/>: scripted hot arrivals, lines and
/// departures in, the exact lines each connection's writer receives out, with their virtual ticks. A writer
/// receives the first line an event causes one tick after the event (the ObserveOn hop), and each further line
/// queued for it one tick after the one before (ObserveOn drains one item per scheduling).
/// </summary>
public class BroadcasterTests
{
    private const string Prompt = "What is your name?";

    [Test]
    public void Arrival_Always_PromptsForNameOneTickLater()
    {
        var chat = new VirtualChat().Arrive(1, 1).Run();

        Assert.That(chat.Timeline(1), Is.EqualTo(new[] { (At(1) + 1, Prompt) }));
    }

    [Test]
    public void Name_Accepted_WelcomesNewcomerAndAnnouncesToOthers()
    {
        var chat = new VirtualChat()
            .Arrive(1, 1).Line(2, 1, "alice")
            .Arrive(3, 2).Line(4, 2, "bob")
            .Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Timeline(1), Is.EqualTo(new[]
            {
                (At(1) + 1, Prompt),
                (At(2) + 1, "You are alice"),
                (At(2) + 2, "Current clients: alice"),
                (At(4) + 1, "bob has arrived"),
            }));
            Assert.That(chat.Timeline(2), Is.EqualTo(new[]
            {
                (At(3) + 1, Prompt),
                (At(4) + 1, "You are bob"),
                (At(4) + 2, "Current clients: alice, bob"),
            }));
        });
    }

    [Test]
    public void Name_SurroundingWhitespace_IsTrimmed()
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(2, 1, " \t alice\u3000 ").Run();

        Assert.That(chat.Received(1), Does.Contain("You are alice"));
    }

    [Test]
    public void Name_Empty_IsTheRemoteAddress()
    {
        var chat = new VirtualChat().Arrive(1, 1, "127.0.0.1:5000").Line(2, 1, "   ").Run();

        Assert.That(chat.Received(1), Is.EqualTo(new[] { Prompt, "You are 127.0.0.1:5000", "Current clients: 127.0.0.1:5000" }));
    }

    [TestCase("al ice", TestName = "Name_WithSpace_IsRejected")]
    [TestCase("al!ce", TestName = "Name_WithPunctuation_IsRejected")]
    [TestCase("a\u00A0b", TestName = "Name_WithNoBreakSpace_IsRejected")]
    [TestCase("\u2603", TestName = "Name_WithSymbol_IsRejected")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456", TestName = "Name_Of33CodePoints_IsRejected")]
    public void Name_Invalid_GetsErrorAndPromptAndNobodyElseHears(string name)
    {
        var chat = new VirtualChat()
            .Arrive(1, 1).Line(2, 1, "alice")
            .Arrive(3, 2).Line(4, 2, name)
            .Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Received(2), Has.Count.EqualTo(3));
            Assert.That(chat.Received(2)[1], Does.StartWith("error: "));
            Assert.That(chat.Received(2)[2], Is.EqualTo(Prompt));
            Assert.That(chat.Received(1), Is.EqualTo(new[] { Prompt, "You are alice", "Current clients: alice" }));
        });
    }

    [TestCase("Zoë_2-b.c", TestName = "Name_LettersDigitsAndPunctuationAllowed_IsAccepted")]
    [TestCase("e\u0301cole", TestName = "Name_WithCombiningMark_IsAccepted")]
    [TestCase("名前", TestName = "Name_OtherLetters_IsAccepted")]
    [TestCase("٣٤", TestName = "Name_ArabicIndicDigits_IsAccepted")]
    [TestCase("abcdefghijklmnopqrstuvwxyz012345", TestName = "Name_Of32CodePoints_IsAccepted")]
    [TestCase("😀", TestName = "Name_Emoji_IsRejectedAsSymbol")]
    public void Name_Rules_FollowTheProtocol(string name)
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(2, 1, name).Run();

        var accepted = chat.Received(1).Contains($"You are {name}");
        Assert.That(accepted, Is.EqualTo(!name.StartsWith('\uD83D')));
    }

    [Test]
    public void Name_Of32SupplementaryCodePoints_IsAcceptedAsCodePointsNotChars()
    {
        var name = string.Concat(Enumerable.Repeat("\U00020000", 32)); // CJK Extension B: Lo, two UTF-16 units each
        var chat = new VirtualChat().Arrive(1, 1).Line(2, 1, name).Run();

        Assert.That(chat.Received(1), Does.Contain($"You are {name}"));
    }

    [Test]
    public void Name_TakenInAnotherCase_GetsErrorAndPrompt()
    {
        var chat = new VirtualChat()
            .Arrive(1, 1).Line(2, 1, "Alice")
            .Arrive(3, 2).Line(4, 2, "aLICE").Line(5, 2, "bob")
            .Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Received(2)[1], Does.StartWith("error: ").And.Contains("taken"));
            Assert.That(chat.Received(2).Skip(2), Is.EqualTo(new[] { Prompt, "You are bob", "Current clients: Alice, bob" }));
            Assert.That(chat.Received(1), Is.EqualTo(new[] { Prompt, "You are Alice", "Current clients: Alice", "bob has arrived" }));
        });
    }

    [Test]
    public void Line_FromNamedClient_ReachesEveryNamedClientIncludingSender()
    {
        var chat = new VirtualChat()
            .Arrive(1, 1).Line(1, 1, "alice")
            .Arrive(2, 2).Line(2, 2, "bob")
            .Arrive(3, 3)
            .Line(4, 1, "  hello, bob  ")
            .Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Timeline(1).Last(), Is.EqualTo((At(4) + 1, "alice:   hello, bob  ")));
            Assert.That(chat.Timeline(2).Last(), Is.EqualTo((At(4) + 1, "alice:   hello, bob  ")));
            Assert.That(chat.Received(3), Is.EqualTo(new[] { Prompt }), "a connection without a name hears no broadcast");
        });
    }

    [Test]
    public void Line_EmptyAfterSanitising_IsIgnored()
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(1, 1, "alice").Line(2, 1, "").Line(3, 1, "\u001b\u0007").Run();

        Assert.That(chat.Received(1), Is.EqualTo(new[] { Prompt, "You are alice", "Current clients: alice" }));
    }

    [Test]
    public void Line_WithEscapeSequencesAndControls_IsSanitisedBeforeBroadcast()
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(1, 1, "alice").Line(2, 1, "\u001b[2Jhi\u0007\tthere\u007f\u0085\u009b!\r").Run();

        Assert.That(chat.Received(1).Last(), Is.EqualTo("alice: [2Jhi\tthere!"));
    }

    [Test]
    public void Name_WithControlCharacters_IsSanitisedBeforeValidation()
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(1, 1, "\u001b[31mal\u0000ice").Run();

        Assert.That(chat.Received(1)[1], Does.StartWith("error: "), "'[31malice' holds '[' so it is invalid; the ESC is gone first");
        var chat2 = new VirtualChat().Arrive(1, 1).Line(1, 1, "al\u0000i\u001bce").Run();
        Assert.That(chat2.Received(1)[1], Is.EqualTo("You are alice"));
    }

    [Test]
    public void Departure_OfNamedClient_AnnouncedOnceToOthersAndWriterCompleted()
    {
        var chat = new VirtualChat()
            .Arrive(1, 1).Line(1, 1, "alice")
            .Arrive(2, 2).Line(2, 2, "bob")
            .Leave(3, 2).Leave(4, 2, DisconnectReason.Reset)
            .Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Timeline(1).Skip(3), Is.EqualTo(new[] { (At(2) + 1, "bob has arrived"), (At(3) + 1, "bob has left") }));
            Assert.That(chat.Timeline(2).Last(), Is.EqualTo((At(3) + 1, "(closed)")));
            Assert.That(chat.Received(2), Has.No.Member("bob has left"));
        });
    }

    [Test]
    public void Departure_OfUnnamedConnection_IsNotAnnounced()
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(1, 1, "alice").Arrive(2, 2).Leave(3, 2).Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Received(1), Is.EqualTo(new[] { Prompt, "You are alice", "Current clients: alice" }));
            Assert.That(chat.Received(2), Is.EqualTo(new[] { Prompt, "(closed)" }));
        });
    }

    [Test]
    public void Departure_FreesTheNameAndTheListPlace()
    {
        var chat = new VirtualChat()
            .Arrive(1, 1).Line(1, 1, "alice")
            .Arrive(2, 2).Line(2, 2, "bob")
            .Leave(3, 1)
            .Arrive(4, 3).Line(4, 3, "ALICE")
            .Run();

        Assert.That(chat.Received(3), Is.EqualTo(new[] { Prompt, "You are ALICE", "Current clients: bob, ALICE" }));
    }

    [Test]
    public void Departure_Idle_SendsDisconnectedThenCloses()
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(1, 1, "alice").Arrive(2, 2).Line(2, 2, "bob").Leave(9, 1, DisconnectReason.Idle).Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Timeline(1).TakeLast(2), Is.EqualTo(new[] { (At(9) + 1, "Disconnected: idle"), (At(9) + 2, "(closed)") }));
            Assert.That(chat.Received(2).Last(), Is.EqualTo("alice has left"));
        });
    }

    [Test]
    public void Line_AfterDeparture_IsIgnored()
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(1, 1, "alice").Arrive(2, 2).Line(2, 2, "bob").Leave(3, 2).Line(4, 2, "ghost").Run();

        Assert.That(chat.Received(1), Has.No.Member("bob: ghost"));
    }

    [Test]
    public void Line_TooLong_GetsErrorAndDuringEnteringThePrompt()
    {
        var chat = new VirtualChat().Arrive(1, 1).TooLong(2, 1).Line(3, 1, "alice").TooLong(4, 1).Run();

        Assert.That(chat.Received(1), Is.EqualTo(new[]
        {
            Prompt, "error: line too long (at most 4096 bytes)", Prompt,
            "You are alice", "Current clients: alice",
            "error: line too long (at most 4096 bytes)",
        }));
    }

    [Test]
    public void Arrival_OverConnectionLimit_GetsServerFullAndIsClosed()
    {
        var chat = new VirtualChat(new ChatServerOptions { MaxClients = 1 }).Arrive(1, 1).Arrive(2, 2).Leave(3, 1).Arrive(4, 3).Run();

        Assert.Multiple(() =>
        {
            Assert.That(chat.Received(2), Is.EqualTo(new[] { "error: server full", "(closed)" }));
            Assert.That(chat.Received(3), Is.EqualTo(new[] { Prompt }), "the slot frees when a connection closes");
        });
    }

    [Test]
    public void Events_TellTheChatsStoryInOrder()
    {
        var chat = new VirtualChat()
            .Arrive(1, 1).Line(2, 1, "alice").Arrive(3, 2).Line(4, 2, "bob")
            .Line(5, 1, "hi").Line(6, 2, "/me waves").Line(7, 1, "/msg bob psst").Line(8, 2, "/nick robert")
            .Leave(9, 1, DisconnectReason.Quit).Leave(10, 2, DisconnectReason.Reset)
            .Run();
        ConnectionId A = new(1), B = new(2);

        Assert.That(chat.Events!.Messages.Select(m => (m.Time, m.Value.Value)), Is.EqualTo(new (long, ServerEvent)[]
        {
            (At(1), new ConnectionOpened(A, "127.0.0.1:5000")),
            (At(2), new ClientEntered(A, "alice")),
            (At(3), new ConnectionOpened(B, "127.0.0.1:5000")),
            (At(4), new ClientEntered(B, "bob")),
            (At(5), new MessageSent(A, "alice", "hi", MessageKind.Chat)),
            (At(6), new MessageSent(B, "bob", "waves", MessageKind.Action)),
            (At(7), new MessageSent(A, "alice", "psst", MessageKind.Private, "bob")),
            (At(8), new ClientRenamed(B, "bob", "robert")),
            (At(9), new ConnectionClosed(A, "alice", DisconnectReason.Quit)),
            (At(10), new ConnectionClosed(B, "robert", DisconnectReason.Reset)),
        }));
    }

    [Test]
    public void Events_RefusedConnection_OpensAndClosesWithServerFull()
    {
        var chat = new VirtualChat(new ChatServerOptions { MaxClients = 1 }).Arrive(1, 1).Arrive(2, 2).Leave(3, 1).Run();

        Assert.That(chat.Events!.Messages.Select(m => m.Value.Value), Is.EqualTo(new ServerEvent[]
        {
            new ConnectionOpened(new(1), "127.0.0.1:5000"),
            new ConnectionOpened(new(2), "127.0.0.1:5000"),
            new ConnectionClosed(new(2), null, DisconnectReason.ServerFull),
            new ConnectionClosed(new(1), null, DisconnectReason.EndOfStream),
        }));
    }

    [TestCase("a\tb", TestName = "NameError_QuotingATab_HoldsNoControlCharacter")]
    [TestCase("a\u200Bb", TestName = "NameError_QuotingAnInvisibleCharacter_NamesItsCodePoint")]
    public void NameError_QuotingInput_HoldsNoControlCharacter(string name)
    {
        var chat = new VirtualChat().Arrive(1, 1).Line(2, 1, name).Run();

        var error = chat.Received(1)[1];
        Assert.Multiple(() =>
        {
            Assert.That(error, Does.StartWith("error: "));
            Assert.That(error.Any(char.IsControl), Is.False);
            Assert.That(error, Does.Contain("U+"));
        });
    }
}
