using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Irc;
using RxChat.Tests.Support;

namespace RxChat.Tests.Irc;

/// <summary>
/// The IRC codec's pure parts in tables: parsing a client's line, text (formatting stripped, long text split), the
/// session's reading of each command into the core's lines and door commands; and the keep-alive in virtual time.
/// </summary>
public class IrcCodecTests
{
    private static readonly IrcDoorSettings Door = new("irc.test", "#rxchat", DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(10));

    [TestCase("PRIVMSG #a :hello world", "PRIVMSG", new[] { "#a", "hello world" })]
    [TestCase("@time=2026-12-06T00:00:00Z :nick!u@h privmsg #a :hi", "PRIVMSG", new[] { "#a", "hi" })]
    [TestCase("NICK   bob", "NICK", new[] { "bob" })]
    [TestCase("USER a 0 * :Real Name", "USER", new[] { "a", "0", "*", "Real Name" })]
    [TestCase("PING :", "PING", new[] { "" })]
    [TestCase("PRIVMSG #a ::-)", "PRIVMSG", new[] { "#a", ":-)" })]
    [TestCase("  ping x", "PING", new[] { "x" })]
    public void Parse_ReadsCommandAndParameters(string line, string command, string[] parameters)
    {
        var message = IrcMessage.Parse(line)!;

        Assert.That((message.Command, message.Params.ToArray()), Is.EqualTo((command, parameters)));
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase(":prefix.only")]
    [TestCase("@tags=only")]
    public void Parse_WithoutACommand_IsNull(string line)
    {
        Assert.That(IrcMessage.Parse(line), Is.Null);
    }

    [TestCase("\u0002bold\u0002 and \u001Ditalic\u001D", "bold and italic")]
    [TestCase("\u000304,12red on blue\u0003 plain", "red on blue plain")]
    [TestCase("\u0003123 apples", "3 apples")]
    [TestCase("\u0003,5x", ",5x")]
    [TestCase("\u00034,x", ",x")]
    [TestCase("\u0004FF0000red", "red")]
    [TestCase("\u0002\u000F\u0011\u0016\u001E\u001Fall codes", "all codes")]
    [TestCase("plain text, 42", "plain text, 42")]
    public void StripFormatting_RemovesMircCodesAndKeepsTheText(string text, string expected)
    {
        Assert.That(IrcText.StripFormatting(text), Is.EqualTo(expected));
    }

    [TestCase("abc def", 4, new[] { "abc ", "def" })]
    [TestCase("abcdefgh", 4, new[] { "abcd", "efgh" })]
    [TestCase("ééé", 4, new[] { "éé", "é" })]
    [TestCase("😀😀", 4, new[] { "😀", "😀" })]
    [TestCase("a b c", 100, new[] { "a b c" })]
    [TestCase("", 10, new[] { "" })]
    public void Split_CutsAtCharacterBoundariesAfterASpace(string text, int budget, string[] pieces)
    {
        Assert.That(IrcText.Split(text, budget), Is.EqualTo(pieces));
    }

    [TestCase("ééé", 5, "éé")]
    [TestCase("abc def", 5, "abc d")]
    [TestCase("abc", 10, "abc")]
    [TestCase("😀a", 3, "")]
    public void Truncate_CutsAtACharacterBoundaryWithoutLookingForASpace(string text, int budget, string expected)
    {
        Assert.That(IrcText.Truncate(text, budget), Is.EqualTo(expected));
    }

    // What the session makes of each line, after NICK alice and USER alice.
    [TestCase("PRIVMSG #rxchat :hello", "line:hello")]
    [TestCase("PRIVMSG #RXCHAT :/quit", "line://quit")]
    [TestCase("PRIVMSG #rxchat :\u0001ACTION waves\u0001", "line:/me waves")]
    [TestCase("PRIVMSG #rxchat :\u0001ACTION\u0001", "line:/me ")]
    [TestCase("PRIVMSG bob :hi there", "line:/msg bob hi there")]
    [TestCase("PRIVMSG bob,carol :hi", "line:/msg bob hi", "line:/msg carol hi")]
    [TestCase("PRIVMSG a,b,c,#rxchat :hi", "line:/msg a hi", "line:/msg b hi", "line:/msg c hi", "line:hi")]
    [TestCase("PRIVMSG a,b,c,d,e :hi", "echo:407 e :Too many recipients (at most 4); nothing sent")]
    [TestCase("NOTICE a,b,c,d,e :hi", "echo:")]
    [TestCase("PRIVMSG #rxchat :\u0001VERSION\u0001", "echo:")]
    [TestCase("PRIVMSG #rxchat :\u0001ACTIONS\u0001", "echo:")]
    [TestCase("PRIVMSG #other :x", "echo:403 #other :No such channel")]
    [TestCase("PRIVMSG", "echo:411 :No recipient given (PRIVMSG)")]
    [TestCase("PRIVMSG #rxchat", "echo:412 :No text to send")]
    [TestCase("NOTICE #other :x", "echo:")]
    [TestCase("NOTICE", "echo:")]
    [TestCase("NOTICE #rxchat :heads up", "quiet:heads up")]
    [TestCase("NOTICE bob :psst", "quiet:/msg bob psst")]
    [TestCase("JOIN #rxchat,#other", "join", "echo:403 #other :No such channel")]
    [TestCase("JOIN", "echo:461 JOIN :Not enough parameters")]
    [TestCase("JOIN 0", "part:")]
    [TestCase("PART #rxchat :bye \u0002now\u0002", "part:bye now")]
    [TestCase("PART #other", "echo:403 #other :No such channel")]
    [TestCase("QUIT :good night", "quit:good night")]
    [TestCase("QUIT", "quit:")]
    [TestCase("PING :x1", "echo:PONG irc.test :x1")]
    [TestCase("PING", "echo:409 :No origin specified")]
    [TestCase("PONG :irc.test", "echo:")]
    [TestCase("", "echo:")]
    [TestCase("WHO", "ask:Who:*")]
    [TestCase("WHO #rxchat", "ask:Who:#rxchat")]
    [TestCase("WHOIS bob", "ask:Whois:bob")]
    [TestCase("WHOIS irc.test bob,carol", "ask:Whois:bob,carol")]
    [TestCase("WHOIS", "echo:431 :No nickname given")]
    [TestCase("WHOWAS gone", "echo:406 gone :There was no such nickname|369 gone :End of WHOWAS")]
    [TestCase("NAMES", "ask:Names:#rxchat")]
    [TestCase("ISON a b :c", "ask:Ison:a,b,c")]
    [TestCase("USERHOST a b", "ask:Userhost:a,b")]
    [TestCase("LIST", "ask:List:")]
    [TestCase("LUSERS", "ask:Users:")]
    [TestCase("MOTD", "echo:422 :MOTD File is missing")]
    [TestCase("TOPIC #rxchat", "echo:331 #rxchat :No topic is set")]
    [TestCase("TOPIC #rxchat :new", "echo:482 #rxchat :You're not channel operator")]
    [TestCase("MODE #rxchat", "echo:324 #rxchat +nt|329 #rxchat 0")]
    [TestCase("MODE #rxchat b", "echo:368 #rxchat :End of channel ban list")]
    [TestCase("MODE #rxchat +o bob", "echo:482 #rxchat :You're not channel operator")]
    [TestCase("MODE alice", "echo:221 +i")]
    [TestCase("MODE alice +i", "echo:@self MODE $me :+i")]
    [TestCase("MODE alice +x", "echo:501 :Unknown MODE flag")]
    [TestCase("MODE bob", "echo:502 :Can't change mode for other users")]
    [TestCase("AWAY :lunch \u0002now\u0002", "away:lunch now")]
    [TestCase("AWAY", "away:(back)")]
    [TestCase("AWAY :", "away:(back)")]
    [TestCase("HISTORY 5", "line:/history 5")]
    [TestCase("HISTORY", "line:/history")]
    [TestCase("KNOCK #rxchat", "echo:421 KNOCK :Unknown command")]
    [TestCase("PASS secret", "echo:462 :You may not reregister")]
    [TestCase("USER a 0 * :b", "echo:462 :You may not reregister")]
    [TestCase("NICK al", "register:al:~alice")]
    [TestCase("NICK", "echo:431 :No nickname given")]
    [TestCase("NICK b*d", "echo:432 b*d :Erroneous nickname")]
    [TestCase("NICK IRC.test", "echo:432 IRC.test :Erroneous nickname")]
    [TestCase("CAP LIST", "echo:CAP $me LIST :")]
    [TestCase("CAP FOO", "echo:410 FOO :Invalid CAP command")]
    [TestCase("PRIVMSG #rxchat :{469}", "line:{469}")]
    [TestCase("PRIVMSG #rxchat :{470}", "echo:417 :Input line was too long")]
    [TestCase("NOTICE #rxchat :{470}", "echo:")]
    [TestCase("PRIVMSG #rxchat :\u0001ACTION {460}\u0001", "line:/me {460}")]
    [TestCase("PRIVMSG #rxchat :\u0001ACTION {461}\u0001", "echo:417 :Input line was too long")]
    [TestCase("PRIVMSG bob :{473}", "line:/msg bob {473}")]
    [TestCase("PRIVMSG bob :{474}", "echo:417 :Input line was too long")]
    public void Read_OnceRegistered_EachCommandBecomesWhatTheCoreTakes(string line, params string[] expected)
    {
        var session = Registered();

        // {N}: N x's. ":alice!~alice@127.0.0.1 PRIVMSG #rxchat :" is 41 bytes, so 469 fit in 510.
        static string Expand(string text) => System.Text.RegularExpressions.Regex.Replace(text, @"\{(\d+)\}", m => new string('x', int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));

        Assert.That(session.Read(Expand(line)).Select(Describe), Is.EqualTo(expected.Select(Expand)));
    }

    [Test]
    public void Read_TooLongLine_GoesToTheCoreAsTooLong()
    {
        Assert.That(Registered().Read(ReceivedLine.TooLong), Is.EqualTo(new[] { ReceivedLine.TooLong }));
    }

    [TestCase("JOIN #rxchat")]
    [TestCase("PRIVMSG #rxchat :hi")]
    [TestCase("WHO")]
    public void Read_BeforeRegistration_OtherCommandsGet451(string line)
    {
        Assert.That(new IrcSession(Door).Read(line).Select(Describe), Is.EqualTo(new[] { "echo:451 :You have not registered" }));
    }

    [Test]
    public void Read_AnInvalidNickBeforeRegistration_IsRefusedAtOnce()
    {
        var session = new IrcSession(Door);

        Assert.Multiple(() =>
        {
            Assert.That(session.Read("NICK [away]").Select(Describe), Is.EqualTo(new[] { "echo:432 [away] :Erroneous nickname" }));
            Assert.That(session.Read("USER a 0 * :A").Select(Describe), Is.EqualTo(new[] { "echo:" }), "no name yet: nothing to register");
            Assert.That(session.Read("NICK ok").Select(Describe), Is.EqualTo(new[] { "register:ok:~a" }));
        });
    }

    [Test]
    public void Render_RepliesForTheClientAlone_HoldNoControlCharacterAndFitOneLine()
    {
        var renderer = new IrcRenderer(Door, "127.0.0.1");
        var echo = new OutgoingLine("x") { Message = new EchoMessage(["421 FOO\u001b[2J\u0007 :Unknown command", "PONG irc.test :" + new string('y', 600)]) };

        var lines = renderer.Render(echo).Select(l => l.Text).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo(":irc.test 421 * FOO[2J :Unknown command"));
            Assert.That(lines.Select(l => System.Text.Encoding.UTF8.GetByteCount(l) + 2), Is.All.LessThanOrEqualTo(512));
            Assert.That(lines[1], Does.StartWith(":irc.test PONG irc.test :yyy"));
        });
    }

    [Test]
    public void Render_ANotice_IsANoticeAtTheIrcDoor()
    {
        var renderer = new IrcRenderer(Door, "127.0.0.1");
        var alice = new Member(new ConnectionId(1), "alice", RxChat.Core.Door.Irc, "~alice", "127.0.0.1", InRoom: true);
        var said = new OutgoingLine("alice: hi") { Message = new SaidMessage(alice, "hi", Notice: true) };
        var told = new OutgoingLine("alice (private): psst") { Message = new PrivateMessage(alice, "bob", "psst", Notice: true) };

        Assert.That(renderer.Render(said).Concat(renderer.Render(told)).Select(l => l.Text), Is.EqualTo(new[]
        {
            ":alice!~alice@127.0.0.1 NOTICE #rxchat :hi",
            ":alice!~alice@127.0.0.1 NOTICE bob :psst",
        }));
    }

    [Test]
    public void Read_CapabilityNegotiation_HoldsRegistrationUntilCapEnd()
    {
        var session = new IrcSession(Door);

        string[] Read(string line) => [.. session.Read(line).Select(Describe)];

        Assert.Multiple(() =>
        {
            Assert.That(Read("CAP LS 302"), Is.EqualTo(new[] { "echo:CAP $me LS :" }));
            Assert.That(Read("PASS ignored"), Is.EqualTo(new[] { "echo:" }));
            Assert.That(Read("NICK alice"), Is.EqualTo(new[] { "echo:" }));
            Assert.That(Read("USER Al!ce_1234567890 0 * :Alice"), Is.EqualTo(new[] { "echo:" }), "held by CAP LS");
            Assert.That(Read("CAP REQ :sasl"), Is.EqualTo(new[] { "echo:CAP $me NAK :sasl" }));
            Assert.That(Read("CAP END"), Is.EqualTo(new[] { "register:alice:~Alce_1234" }), "a user name IRC can carry, at most 9 characters after ~");
            Assert.That(Read("CAP END"), Is.EqualTo(new[] { "echo:" }));
        });
    }

    [Test]
    public void Read_WithoutCap_RegistersOnceNickAndUserAreIn_InEitherOrder()
    {
        var session = new IrcSession(Door);

        Assert.Multiple(() =>
        {
            Assert.That(session.Read("USER bob 0 * :Bob").Select(Describe), Is.EqualTo(new[] { "echo:" }));
            Assert.That(session.Read("NICK bob").Select(Describe), Is.EqualTo(new[] { "register:bob:~bob" }));
            Assert.That(session.Read("QUIT :bye").Select(Describe), Is.EqualTo(new[] { "quit:bye" }));
            Assert.That(session.QuitWords, Is.EqualTo("bye"));
        });
    }

    [Test]
    public void Keepalive_InVirtualTime_PingsAtHalfTheIdleTimeoutAndEndsAsIdleAtAll_EachLineStartingTheClockAgain()
    {
        var scheduler = new TestScheduler();
        var input = scheduler.CreateHotObservable(
            ReactiveTest.OnNext(VirtualChat.At(1), new ReceivedLine("NICK alice")),
            ReactiveTest.OnNext(VirtualChat.At(2), new ReceivedLine("USER alice 0 * :A")),
            ReactiveTest.OnNext(VirtualChat.At(9), new ReceivedLine("PONG :irc.test")));
        var connection = new IrcConnection(new TestConnection(1, input, scheduler.CreateObserver<OutgoingLine>()), Door, scheduler);

        var seen = scheduler.Start(() => connection.Lines, created: 0, subscribed: 0, disposed: VirtualChat.At(60));

        Assert.That(seen.Messages.Select(m => (m.Time / TimeSpan.TicksPerSecond, m.Value.Kind == System.Reactive.NotificationKind.OnNext ? Describe(m.Value.Value) : m.Value.Exception is ConnectionClosedException { Reason: DisconnectReason.Idle } ? "idle" : m.Value.ToString())),
            Is.EqualTo(new[] { (1L, "echo:"), (2L, "register:alice:~alice"), (7L, "echo:PING :irc.test"), (9L, "echo:"), (14L, "echo:PING :irc.test"), (19L, "idle") }));
    }

    [Test]
    public void Keepalive_WhenTheClientsLinesEnd_Stops()
    {
        var scheduler = new TestScheduler();
        var input = scheduler.CreateHotObservable(
            ReactiveTest.OnNext(VirtualChat.At(1), new ReceivedLine("PING :a")),
            ReactiveTest.OnCompleted<ReceivedLine>(VirtualChat.At(2)));
        var connection = new IrcConnection(new TestConnection(1, input, scheduler.CreateObserver<OutgoingLine>()), Door, scheduler);

        var seen = scheduler.Start(() => connection.Lines, created: 0, subscribed: 0, disposed: VirtualChat.At(60));

        Assert.That(seen.Messages.Select(m => (m.Time / TimeSpan.TicksPerSecond, m.Value.Kind)),
            Is.EqualTo(new[] { (1L, System.Reactive.NotificationKind.OnNext), (2L, System.Reactive.NotificationKind.OnCompleted) }));
    }

    private static IrcSession Registered()
    {
        var session = new IrcSession(Door);
        session.Read("NICK alice");
        session.Read("USER alice 0 * :Alice");
        return session;
    }

    private static string Describe(ReceivedLine line) => line.Command switch
    {
        null => $"line:{line.Text}",
        Echo echo => $"echo:{string.Join('|', echo.Lines)}",
        Quietly => $"quiet:{line.Text}",
        SetAway away => $"away:{away.Message ?? "(back)"}",
        Register register => $"register:{line.Text}:{register.User}",
        JoinRoom => "join",
        PartRoom part => $"part:{part.Words}",
        QuitRoom quit => $"quit:{quit.Words}",
        Ask ask => $"ask:{ask.Query.Kind}:{string.Join(',', ask.Query.Names)}",
        var other => other.ToString()!,
    };
}
