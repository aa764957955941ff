using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Core;

/// <summary>PROTOCOL.md, Commands, in the fold on a TestScheduler.</summary>
public class CommandTests
{
    /// <summary>alice (1), bob (2) and carol (3) have entered by second 3; the script goes on from there.</summary>
    private static VirtualChat ThreeClients(ChatServerOptions? options = null) => new VirtualChat(options)
        .Arrive(1, 1).Line(1, 1, "alice")
        .Arrive(2, 2).Line(2, 2, "bob")
        .Arrive(3, 3).Line(3, 3, "carol");

    /// <summary>What a client received after the welcome and the arrivals of those after it.</summary>
    private static IEnumerable<string> After(VirtualChat chat, long id, int skip) => chat.Received(id).Skip(skip);

    // alice saw: prompt, You are, Current clients, bob has arrived, carol has arrived (5); bob 4; carol 3.
    private const int AliceSkip = 5, BobSkip = 4, CarolSkip = 3;

    [Test]
    public void Who_ListsClientsInArrivalOrderToSenderOnly()
    {
        var chat = ThreeClients().Line(4, 2, "/who").Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 2, BobSkip), Is.EqualTo(new[] { "Current clients: alice, bob, carol" }));
            Assert.That(After(chat, 1, AliceSkip), Is.Empty);
        });
    }

    [TestCase("/WHO", TestName = "Command_UpperCase_IsTheSameCommand")]
    [TestCase("/Who ignored arguments", TestName = "Who_WithArguments_IgnoresThem")]
    public void Who_Variants_Work(string line)
    {
        var chat = ThreeClients().Line(4, 1, line).Run();

        Assert.That(After(chat, 1, AliceSkip), Is.EqualTo(new[] { "Current clients: alice, bob, carol" }));
    }

    [Test]
    public void Nick_Valid_EveryoneHearsAndThePlaceIsKept()
    {
        var chat = ThreeClients().Line(4, 1, "/nick  ally ").Line(5, 3, "/who").Line(6, 1, "hi").Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 1, AliceSkip), Is.EqualTo(new[] { "alice is now known as ally", "ally: hi" }));
            Assert.That(After(chat, 3, CarolSkip), Is.EqualTo(new[] { "alice is now known as ally", "Current clients: ally, bob, carol", "ally: hi" }));
        });
    }

    [Test]
    public void Nick_TakenInAnotherCase_IsAnErrorToSenderOnlyWithoutPrompt()
    {
        var chat = ThreeClients().Line(4, 1, "/nick BOB").Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 1, AliceSkip).Single(), Does.StartWith("error: ").And.Contains("taken"));
            Assert.That(After(chat, 2, BobSkip), Is.Empty);
        });
    }

    [Test]
    public void Nick_OwnNameInAnotherCase_IsAllowed()
    {
        var chat = ThreeClients().Line(4, 1, "/nick ALICE").Run();

        Assert.That(After(chat, 2, BobSkip), Is.EqualTo(new[] { "alice is now known as ALICE" }));
    }

    [TestCase("/nick alice", TestName = "Nick_ExactlyTheCurrentName_IsAnError")]
    [TestCase("/nick", TestName = "Nick_Missing_IsAnErrorNotTheAddress")]
    [TestCase("/nick   \t ", TestName = "Nick_OnlyWhitespace_IsAnError")]
    [TestCase("/nick two words", TestName = "Nick_InvalidName_IsAnError")]
    [TestCase("/nick abcdefghijklmnopqrstuvwxyz0123456", TestName = "Nick_TooLong_IsAnError")]
    public void Nick_Errors_GoToSenderOnly(string line)
    {
        var chat = ThreeClients().Line(4, 1, line).Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 1, AliceSkip).Single(), Does.StartWith("error: "));
            Assert.That(After(chat, 2, BobSkip), Is.Empty);
        });
    }

    [Test]
    public void Nick_BackAndForth_FreesAndRetakesNames()
    {
        var chat = ThreeClients()
            .Line(4, 1, "/nick ally").Line(5, 2, "/nick alice").Line(6, 1, "/nick bob").Line(7, 2, "/nick alice")
            .Run();

        Assert.That(After(chat, 3, CarolSkip), Is.EqualTo(new[]
        {
            "alice is now known as ally", "bob is now known as alice", "ally is now known as bob",
        }));
        Assert.That(After(chat, 2, BobSkip).Last(), Is.EqualTo("error: you are already alice"));
    }

    [Test]
    public void Me_WithAction_IsBroadcastAsTyped()
    {
        var chat = ThreeClients().Line(4, 2, "/me \t waves  twice ").Run();

        Assert.That(After(chat, 1, AliceSkip), Is.EqualTo(new[] { "* bob waves  twice " }));
    }

    [TestCase("/me", TestName = "Me_WithoutAction_IsAnError")]
    [TestCase("/me    ", TestName = "Me_WithWhitespaceOnly_IsAnError")]
    public void Me_Missing_IsAnError(string line)
    {
        var chat = ThreeClients().Line(4, 2, line).Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 2, BobSkip).Single(), Does.StartWith("error: "));
            Assert.That(After(chat, 1, AliceSkip), Is.Empty);
        });
    }

    [Test]
    public void Msg_ReachesOnlyTheRecipientAndEchoesToTheSender()
    {
        var chat = ThreeClients().Line(4, 1, "/msg  BOB \t psst,  bob ").Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 1, AliceSkip), Is.EqualTo(new[] { "-> bob: psst,  bob " }));
            Assert.That(After(chat, 2, BobSkip), Is.EqualTo(new[] { "alice (private): psst,  bob " }));
            Assert.That(After(chat, 3, CarolSkip), Is.Empty);
        });
    }

    [Test]
    public void Msg_ToSelf_EchoFirstThenPrivate()
    {
        var chat = ThreeClients().Line(4, 1, "/msg alice note").Run();

        Assert.That(After(chat, 1, AliceSkip), Is.EqualTo(new[] { "-> alice: note", "alice (private): note" }));
    }

    [Test]
    public void Msg_ToClientThatJustLeft_IsAnError()
    {
        var chat = ThreeClients().Leave(4, 2).Line(4.5, 1, "/msg bob still there?").Run();

        Assert.That(After(chat, 1, AliceSkip), Is.EqualTo(new[] { "bob has left", "error: no client named 'bob'" }));
    }

    [TestCase("/msg", TestName = "Msg_WithoutRecipient_IsAnError")]
    [TestCase("/msg bob", TestName = "Msg_WithoutText_IsAnError")]
    [TestCase("/msg bob  \t ", TestName = "Msg_WithWhitespaceText_IsAnError")]
    [TestCase("/msg nobody hi", TestName = "Msg_ToUnknownClient_IsAnError")]
    public void Msg_Errors_GoToSenderOnly(string line)
    {
        var chat = ThreeClients().Line(4, 1, line).Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 1, AliceSkip).Single(), Does.StartWith("error: "));
            Assert.That(After(chat, 2, BobSkip), Is.Empty);
        });
    }

    [Test]
    public void Quit_ClosesTheConnectionAndOthersHearItOnce()
    {
        var chat = ThreeClients().Line(4, 2, "/quit bye all").Leave(5, 2).Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 2, BobSkip), Is.EqualTo(new[] { "(closed)" }));
            Assert.That(After(chat, 1, AliceSkip), Is.EqualTo(new[] { "bob has left" }));
        });
    }

    [Test]
    public void Help_ListsSevenCommandsEachStartingWithItsName()
    {
        var chat = ThreeClients().Line(4, 3, "/help").Run();

        var help = After(chat, 3, CarolSkip).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(help, Has.Count.EqualTo(7));
            foreach (var (line, command) in help.Zip(new[] { "/who", "/nick", "/me", "/msg", "/quit", "/history", "/help" }))
            {
                Assert.That(line, Does.StartWith(command + " "));
            }

            Assert.That(help, Is.EqualTo(new[]
            {
                "/who           list the clients here, in order of arrival",
                "/nick NEW      change your name to NEW",
                "/me ACTION     act: everyone sees * NAME ACTION",
                "/msg TO TEXT   send TEXT to TO only",
                "/quit          leave the chat",
                "/history [N]   the last N chat lines, 1 to 100 (default 20)",
                "/help          list these commands",
            }));

            Assert.That(After(chat, 1, AliceSkip), Is.Empty);
        });
    }

    [TestCase("/", TestName = "Command_SlashAlone_IsUnknown")]
    [TestCase("/dance now", TestName = "Command_Unknown_IsAnError")]
    [TestCase("/who\u0000x", TestName = "Command_ControlCharactersAreRemovedBeforeParsing")]
    public void Command_Unknown_GetsErrorToSenderOnly(string line)
    {
        var chat = ThreeClients().Line(4, 1, line).Run();

        Assert.Multiple(() =>
        {
            Assert.That(After(chat, 1, AliceSkip).Single(), Does.StartWith("error: unknown command"));
            Assert.That(After(chat, 2, BobSkip), Is.Empty);
        });
    }

    [Test]
    public void DoubleSlash_SendsTheRestAsAChatLine()
    {
        var chat = ThreeClients().Line(4, 1, "//who is there").Run();

        Assert.That(After(chat, 2, BobSkip), Is.EqualTo(new[] { "alice: /who is there" }));
    }
}
