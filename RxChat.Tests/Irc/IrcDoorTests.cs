using System.Net.Sockets;
using System.Reactive.Linq;
using System.Text;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Irc;

/// <summary>
/// The IRC door (PROTOCOL.md, Doors, IRC door) over real loopback sockets, with a raw-socket IRC client beside line
/// clients in one room: registration and the welcome burst, what irssi, WeeChat and HexChat send, each kind of line
/// seen from the other door, and the limits that apply to IRC clients as to every client.
/// </summary>
[CancelAfter(60_000)]
public class IrcDoorTests
{
    private const string Server = "irc.test";

    private static ChatServer Start(ChatServerOptions? options = null) =>
        TestServer.Start((options ?? new ChatServerOptions()) with { IrcPort = 0, IrcServerName = Server });

    private static Task<IrcClient> Register(ChatServer server, string nick, bool join = true) =>
        IrcClient.RegisterAsync(server.IrcEndPoint!, nick, join);

    [Test]
    public async Task Registration_CapNickUser_GetsTheWelcomeBurstThenJoinsWithNames()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await IrcClient.ConnectAsync(server.IrcEndPoint!, "alice");

        await alice.SendAsync("CAP LS 302", "NICK alice", "USER alice 0 * :Alice", "CAP REQ :multi-prefix sasl");
        var cap = await alice.ReadLinesAsync(2);
        await alice.SendAsync("CAP END");
        var burst = await alice.ReadThroughAsync(l => IrcClient.Numeric(l) == "422");
        await alice.SendAsync("JOIN #rxchat");
        var join = await alice.ReadThroughAsync(l => IrcClient.Numeric(l) == "366");

        Assert.Multiple(async () =>
        {
            Assert.That(cap, Is.EqualTo(new[] { $":{Server} CAP * LS :", $":{Server} CAP * NAK :multi-prefix sasl" }), "no capability is acknowledged");
            Assert.That(burst.Select(IrcClient.Numeric), Is.EqualTo(new[] { "001", "002", "003", "004", "005", "251", "422" }));
            Assert.That(burst[0], Is.EqualTo($":{Server} 001 alice :Welcome to the RxChat IRC Network, alice!~alice@127.0.0.1"));
            Assert.That(burst[4], Does.Contain(" CHANTYPES=# ").And.Contain(" NICKLEN=32 ").And.Contain(" CASEMAPPING="));
            Assert.That(burst[5], Is.EqualTo($":{Server} 251 alice :There are 2 users and 0 invisible on 1 servers"), "bob and alice");
            Assert.That(join, Is.EqualTo(new[]
            {
                ":alice!~alice@127.0.0.1 JOIN #rxchat",
                $":{Server} 353 alice = #rxchat :bob alice",
                $":{Server} 366 alice #rxchat :End of /NAMES list",
            }), "the room's clients in order of arrival");
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("alice has arrived"), "at the line door, an IRC client arrives when it joins");
        });
    }

    [Test]
    public async Task Registration_NotYetRegistered_OtherCommandsGet451AndNobodyHearsOfIt()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await IrcClient.ConnectAsync(server.IrcEndPoint!);

        await alice.SendAsync("JOIN #rxchat", "PRIVMSG #rxchat :hello?", "PING :still-unregistered");
        var lines = await alice.ReadLinesAsync(3);
        await bob.SendAsync("/who");

        Assert.Multiple(async () =>
        {
            Assert.That(lines, Is.EqualTo(new[]
            {
                $":{Server} 451 * :You have not registered",
                $":{Server} 451 * :You have not registered",
                $":{Server} PONG {Server} :still-unregistered",
            }), "PING is answered before registration (irssi and WeeChat ping early)");
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("Current clients: bob"), "an unregistered IRC client is nobody's client yet");
        });
    }

    [TestCase("al*ice", "432")]
    [TestCase("irc.test", "432")]
    [TestCase("abcdefghijklmnopqrstuvwxyz0123456", "432")]
    [TestCase("bob", "433")]
    [TestCase("BOB", "433")]
    [TestCase("carol", "433")]
    public async Task Registration_InvalidOrTakenNick_IsRefusedAndTheClientMayTryAgain(string nick, string numeric)
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await Register(server, "carol");
        await using var alice = await IrcClient.ConnectAsync(server.IrcEndPoint!);

        await alice.SendAsync($"NICK {nick}", "USER alice 0 * :Alice");
        var refusal = await alice.ReadLineAsync();
        await alice.SendAsync("NICK alice");
        var welcome = await alice.ReadLineAsync();

        Assert.Multiple(() =>
        {
            Assert.That(IrcClient.Numeric(refusal!), Is.EqualTo(numeric), refusal);
            Assert.That(refusal, Does.StartWith($":{Server} {numeric} * "), "before registration the target is *");
            Assert.That(welcome, Does.StartWith($":{Server} 001 alice "));
        });
    }

    [Test]
    public async Task Ping_IsAnsweredInOrderWithTheClientsOtherReplies()
    {
        await using var server = Start();
        await using var alice = await Register(server, "alice");

        await alice.SendAsync("WHO #rxchat", "PING :one", "MODE #rxchat", "PING two", "MODE #rxchat b", "PING :three");
        var lines = await alice.ReadThroughAsync(l => l.EndsWith(":three", StringComparison.Ordinal));

        Assert.That(lines.Select(IrcClient.Command), Is.EqualTo(new[] { "352", "315", "PONG", "324", "329", "PONG", "368", "PONG" }));
    }

    [Test]
    public async Task IrssiChannelSync_ModeWhoAndBanList_AreEachAnsweredAfterTheJoin()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");

        await alice.SendAsync("MODE #rxchat", "WHO #rxchat", "MODE #rxchat b");
        var lines = await alice.ReadThroughAsync(l => IrcClient.Numeric(l) == "368");

        Assert.That(lines, Is.EqualTo(new[]
        {
            $":{Server} 324 alice #rxchat +nt",
            lines[1],
            $":{Server} 352 alice #rxchat nc 127.0.0.1 {Server} bob H :0 netcat user",
            $":{Server} 352 alice #rxchat ~alice 127.0.0.1 {Server} alice H :0 IRC user",
            $":{Server} 315 alice #rxchat :End of WHO list",
            $":{Server} 368 alice #rxchat :End of channel ban list",
        }));
        Assert.That(lines[1], Does.Match($@"^:{Server} 329 alice #rxchat \d+$"));
    }

    [Test]
    public async Task Chat_IrcAndLineClients_HearEachOtherInTheirOwnForm()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("alice has arrived");

        await alice.SendAsync("PRIVMSG #rxchat :hi bob", "PRIVMSG #rxchat :\u0001ACTION waves\u0001", "PRIVMSG bob :psst", "NOTICE #rxchat :a notice", "NOTICE bob :a word");
        var bobHeard = await bob.ReadLinesAsync(5);
        await bob.SendAsync("hi alice");
        await bob.SendAsync("/me smiles");
        await bob.SendAsync("/msg alice secret");
        var aliceHeard = await alice.ReadLinesAsync(3);
        var bobEcho = await bob.ReadLinesAsync(3);

        Assert.Multiple(() =>
        {
            Assert.That(bobHeard, Is.EqualTo(new[] { "alice: hi bob", "* alice waves", "alice (private): psst", "alice: a notice", "alice (private): a word" }));
            Assert.That(aliceHeard, Is.EqualTo(new[]
            {
                ":bob!nc@127.0.0.1 PRIVMSG #rxchat :hi alice",
                ":bob!nc@127.0.0.1 PRIVMSG #rxchat :\u0001ACTION smiles\u0001",
                ":bob!nc@127.0.0.1 PRIVMSG alice :secret",
            }), "an IRC client does not get its own channel lines back, and hears the others' as PRIVMSG");
            Assert.That(bobEcho, Is.EqualTo(new[] { "bob: hi alice", "* bob smiles", "-> alice: secret" }), "the line door is as before");
        });
    }

    [Test]
    public async Task Notice_ReachesIrcClientsAsANotice()
    {
        await using var server = Start();
        await using var carol = await Register(server, "carol");
        await using var alice = await Register(server, "alice");
        await carol.ReadCommandAsync("JOIN");

        await alice.SendAsync("NOTICE #rxchat :to all", "NOTICE carol :to you");

        Assert.That(await carol.ReadLinesAsync(2), Is.EqualTo(new[]
        {
            ":alice!~alice@127.0.0.1 NOTICE #rxchat :to all",
            ":alice!~alice@127.0.0.1 NOTICE carol :to you",
        }));
    }

    [Test]
    public async Task Notice_ToANickThatIsNotThere_IsNeverAnswered()
    {
        await using var server = Start();
        await using var alice = await Register(server, "alice");

        await alice.SendAsync("NOTICE nobody :are you there?", "PRIVMSG nobody :are you there?", "PING :end");
        var lines = await alice.ReadThroughAsync(l => l.EndsWith(":end", StringComparison.Ordinal));

        Assert.That(lines, Is.EqualTo(new[] { $":{Server} 401 alice nobody :No such nick/channel", $":{Server} PONG {Server} :end" }), "only the PRIVMSG gets 401");
    }

    [Test]
    public async Task Away_IsShownToThoseWhoAskOrWrite_UntilTheClientIsBack()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await Register(server, "carol");
        await using var alice = await Register(server, "alice");
        await carol.ReadCommandAsync("JOIN");
        await bob.ReadUntilAsync("alice has arrived");

        await alice.SendAsync("AWAY :at lunch");
        var marked = await alice.ReadLineAsync();
        await carol.SendAsync("PRIVMSG alice :are you there?", "WHO alice", "WHOIS alice", "USERHOST alice");
        var away = await carol.ReadThroughAsync(l => IrcClient.Numeric(l) == "302");
        await bob.SendAsync("/msg alice hi");
        var bobEcho = await bob.ReadLineAsync();
        await alice.SendAsync("AWAY");
        var back = await alice.ReadThroughAsync(l => IrcClient.Numeric(l) == "305");
        await carol.SendAsync("WHO alice");
        var here = await carol.ReadCommandAsync("352");

        Assert.Multiple(() =>
        {
            Assert.That(marked, Is.EqualTo($":{Server} 306 alice :You have been marked as being away"));
            Assert.That(away, Is.EqualTo(new[]
            {
                $":{Server} 301 carol alice :at lunch",
                $":{Server} 352 carol * ~alice 127.0.0.1 {Server} alice G :0 IRC user",
                $":{Server} 315 carol alice :End of WHO list",
                $":{Server} 311 carol alice ~alice 127.0.0.1 * :IRC user",
                $":{Server} 312 carol alice {Server} :RxChat",
                $":{Server} 319 carol alice :#rxchat",
                $":{Server} 301 carol alice :at lunch",
                $":{Server} 318 carol alice :End of /WHOIS list",
                $":{Server} 302 carol :alice=-~alice@127.0.0.1",
            }));
            Assert.That(bobEcho, Is.EqualTo("-> alice: hi"), "the line door's echo is as before");
            Assert.That(back, Has.Member(":carol!~carol@127.0.0.1 PRIVMSG alice :are you there?").And.Member(":bob!nc@127.0.0.1 PRIVMSG alice :hi"));
            Assert.That(back[^1], Is.EqualTo($":{Server} 305 alice :You are no longer marked as being away"));
            Assert.That(here, Does.Contain(" alice H :0 "));
        });
    }

    [Test]
    public async Task Renames_BothWays_AreNickAtTheIrcDoorAndKnownAsAtTheLineDoor()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("alice has arrived");

        await alice.SendAsync("NICK al");
        var aliceOwn = await alice.ReadLineAsync();
        var bobHeard = await bob.ReadLineAsync();
        await bob.SendAsync("/nick robert");
        var aliceHeard = await alice.ReadLineAsync();
        await bob.ExpectAsync("bob is now known as robert");
        await alice.SendAsync("NICK robert");
        var taken = await alice.ReadLineAsync();

        Assert.Multiple(() =>
        {
            Assert.That(aliceOwn, Is.EqualTo(":alice!~alice@127.0.0.1 NICK :al"), "its own rename, from its old prefix");
            Assert.That(bobHeard, Is.EqualTo("alice is now known as al"));
            Assert.That(aliceHeard, Is.EqualTo(":bob!nc@127.0.0.1 NICK :robert"));
            Assert.That(taken, Is.EqualTo($":{Server} 433 al robert :Nickname is already in use"));
        });
    }

    [Test]
    public async Task ArrivalsAndDepartures_BothWays()
    {
        await using var server = Start();
        await using var alice = await Register(server, "alice");
        await using var carol = await Register(server, "carol");
        await alice.ReadCommandAsync("JOIN");
        var bob = await server.EnterAsync("bob");
        var bobArrived = await alice.ReadLineAsync();
        await bob.SendAsync("/quit");
        await bob.DisposeAsync();
        var bobLeft = await alice.ReadLineAsync();

        await using var dave = await server.EnterAsync("dave");
        await alice.ReadCommandAsync("JOIN");
        await carol.SendAsync("PART #rxchat :see you");
        var carolParted = await alice.ReadLineAsync();
        var daveHeardPart = await dave.ReadLineAsync();
        await carol.SendAsync("JOIN #rxchat");
        await alice.ReadCommandAsync("JOIN");
        await dave.ExpectAsync("carol has arrived");
        await carol.SendAsync("QUIT :off to bed");
        var carolQuit = await alice.ReadLineAsync();
        var daveHeardQuit = await dave.ReadLineAsync();
        var carolEnd = await carol.ReadToEndAsync();

        Assert.Multiple(() =>
        {
            Assert.That(bobArrived, Is.EqualTo(":bob!nc@127.0.0.1 JOIN #rxchat"));
            Assert.That(bobLeft, Is.EqualTo(":bob!nc@127.0.0.1 QUIT :Quit"));
            Assert.That(carolParted, Is.EqualTo(":carol!~carol@127.0.0.1 PART #rxchat :see you"));
            Assert.That(daveHeardPart, Is.EqualTo("carol has left"));
            Assert.That(carolQuit, Is.EqualTo(":carol!~carol@127.0.0.1 QUIT :Quit: off to bed"));
            Assert.That(daveHeardQuit, Is.EqualTo("carol has left"));
            Assert.That(carolEnd.LastOrDefault(), Is.EqualTo("ERROR :Closing Link: 127.0.0.1 (Quit: off to bed)"));
        });
    }

    [Test]
    public async Task Listings_NamesAndWhoListLineClients_AndTheLineDoorsWhoListsIrcClients()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await using var erin = await Register(server, "erin", join: false);
        await bob.ExpectAsync("alice has arrived");

        await alice.SendAsync("NAMES #rxchat", "WHO bob", "WHOIS bob", "ISON bob erin nobody", "USERHOST bob", "LIST", "WHOIS nobody");
        var lines = await alice.ReadThroughAsync(l => l.EndsWith("nobody :End of /WHOIS list", StringComparison.Ordinal));
        await bob.SendAsync("/who");

        Assert.Multiple(async () =>
        {
            Assert.That(lines, Is.EqualTo(new[]
            {
                $":{Server} 353 alice = #rxchat :bob alice",
                $":{Server} 366 alice #rxchat :End of /NAMES list",
                $":{Server} 352 alice * nc 127.0.0.1 {Server} bob H :0 netcat user",
                $":{Server} 315 alice bob :End of WHO list",
                $":{Server} 311 alice bob nc 127.0.0.1 * :netcat user",
                $":{Server} 312 alice bob {Server} :RxChat",
                $":{Server} 319 alice bob :#rxchat",
                $":{Server} 318 alice bob :End of /WHOIS list",
                $":{Server} 303 alice :bob erin",
                $":{Server} 302 alice :bob=+nc@127.0.0.1",
                $":{Server} 321 alice Channel :Users  Name",
                $":{Server} 322 alice #rxchat 2 :",
                $":{Server} 323 alice :End of /LIST",
                $":{Server} 401 alice nobody :No such nick/channel",
                $":{Server} 318 alice nobody :End of /WHOIS list",
            }), "erin holds a name but is not on the channel");
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("Current clients: bob, alice"), "the line door lists the room's clients, IRC ones too");
        });
    }

    [Test]
    public async Task OneTotalOrder_IrcAndLineClientsSendingAtOnce_EveryoneSeesTheSameOrder()
    {
        const int lines = 300;
        await using var server = Start(new ChatServerOptions { RateLimit = 0 });
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await server.EnterAsync("carol");
        await using var alice = await Register(server, "alice");
        await using var dave = await Register(server, "dave");
        await bob.ExpectAsync("carol has arrived");
        await bob.ExpectAsync("alice has arrived");
        await bob.ExpectAsync("dave has arrived");
        await carol.ReadUntilAsync("dave has arrived");
        await alice.ReadCommandAsync("JOIN");

        var sending = Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < lines; i++) { await bob.SendAsync($"b{i}"); } }),
            Task.Run(async () => { for (var i = 0; i < lines; i++) { await alice.SendAsync($"PRIVMSG #rxchat :a{i}"); } }));
        var carolSaw = ReadChat(() => carol.ReadLineAsync(), 2 * lines, l => l);
        var daveSaw = ReadChat(() => dave.ReadLineAsync(), 2 * lines, l => $"{l[1..l.IndexOf('!', StringComparison.Ordinal)]}: {IrcClient.Trailing(l)}");
        await sending;

        Assert.That(await daveSaw, Is.EqualTo(await carolSaw), "one order, whatever the door");
        Assert.That((await carolSaw).Count(l => l.StartsWith("alice: a", StringComparison.Ordinal)), Is.EqualTo(lines));
    }

    private static async Task<List<string>> ReadChat(Func<Task<string?>> read, int count, Func<string, string> normal)
    {
        var seen = new List<string>();
        while (seen.Count < count)
        {
            var line = await read() ?? throw new InvalidOperationException("end of stream");
            seen.Add(normal(line));
        }

        return seen;
    }

    [Test]
    public async Task LineTooLong_513Bytes_Gets417AndNothingIsKept()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("alice has arrived");

        // 510 bytes and its \r\n is a line; 511 is not. "NOTICE" keeps the 510-byte one clear of the relay bound.
        var prefix = "NOTICE #rxchat :";
        var longest = prefix + new string('x', 510 - prefix.Length);
        await alice.SendAsync(longest + "y", "PRIVMSG #rxchat :fits");
        var refusal = await alice.ReadLineAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(refusal, Is.EqualTo($":{Server} 417 alice :Input line was too long"));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("alice: fits"), "nothing of the long line was kept");
        });
    }

    [Test]
    public async Task Text_UpToWhatFitsWhenRelayed_IsOneLineForEveryone_AndLongerIsRefused()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await Register(server, "carol");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("carol has arrived");
        await bob.ExpectAsync("alice has arrived");
        await carol.ReadCommandAsync("JOIN");

        // ":alice!~alice@127.0.0.1 PRIVMSG #rxchat :" is 41 bytes: 469 are left of 510.
        var most = new string('é', 234) + "x";
        await alice.SendAsync($"PRIVMSG #rxchat :{most}x", $"PRIVMSG #rxchat :{most}");
        var refusal = await alice.ReadLineAsync();
        var relayed = await carol.ReadLineAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(refusal, Is.EqualTo($":{Server} 417 alice :Input line was too long"), "470 bytes would not fit when relayed");
            Assert.That(relayed, Is.EqualTo($":alice!~alice@127.0.0.1 PRIVMSG #rxchat :{most}"));
            Assert.That(System.Text.Encoding.UTF8.GetByteCount(relayed!) + 2, Is.EqualTo(512));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo($"alice: {most}"));
        });
    }

    [Test]
    public async Task LongText_FromALineClient_IsSplitIntoIrcLinesThatFit()
    {
        await using var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("alice has arrived");
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => $"wörd{i} "));

        await bob.SendAsync(text);
        var pieces = new List<string>();
        while (pieces.Sum(p => IrcClient.Trailing(p)!.Length) < text.Length)
        {
            pieces.Add((await alice.ReadLineAsync())!);
        }

        Assert.Multiple(() =>
        {
            Assert.That(pieces, Has.Count.GreaterThan(1));
            Assert.That(pieces.Select(p => Encoding.UTF8.GetByteCount(p) + 2), Is.All.LessThanOrEqualTo(512));
            Assert.That(pieces.Select(IrcClient.Trailing).Take(pieces.Count - 1), Is.All.EndsWith(" "), "split after a space");
            Assert.That(string.Concat(pieces.Select(IrcClient.Trailing)), Is.EqualTo(text), "nothing lost or repeated");
        });
    }

    [Test]
    public async Task RateLimit_AppliesToIrcClientsAsToEveryClient()
    {
        // Registering and joining take five of the ten tokens (CAP LS, NICK, USER, CAP END, JOIN).
        await using var server = Start(new ChatServerOptions { RateLimit = 1, RateBurst = 10 });
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("alice has arrived");

        await alice.SendAsync([.. Enumerable.Range(0, 10).Select(i => $"PRIVMSG #rxchat :m{i}")]);
        var warned = await alice.ReadLineAsync();
        await bob.SendAsync("end");
        var bobHeard = await bob.ReadUntilAsync("bob: end");

        Assert.Multiple(() =>
        {
            Assert.That(warned, Is.EqualTo($":{Server} NOTICE alice :error: slow down"));
            Assert.That(bobHeard, Has.Count.InRange(4, 6), "the rest of the burst passes, the others are dropped");
            Assert.That(bobHeard, Is.EqualTo(Enumerable.Range(0, bobHeard.Count).Select(i => $"alice: m{i}")));
        });
    }

    [Test]
    public async Task Idle_TheServerPingsAndAPongKeepsTheClient_AnUnansweredPingEndsIt()
    {
        await using var server = Start(new ChatServerOptions { IdleTimeout = TimeSpan.FromSeconds(1.2) });
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("alice has arrived");

        // Pinged at half the timeout; the PONG starts the clock again (bob keeps himself alive by talking).
        var ping = await alice.ReadLineAsync();
        await alice.SendAsync($"PONG :{Server}");
        await bob.SendAsync("still here");
        var heard = await alice.ReadLineAsync();
        var secondPing = await alice.ReadLineAsync();
        await bob.SendAsync("and here");
        var rest = await alice.ReadToEndAsync();
        var bobHeard = await bob.ReadUntilAsync("alice has left");

        Assert.Multiple(() =>
        {
            Assert.That(ping, Is.EqualTo($":{Server} PING :{Server}"));
            Assert.That(heard, Is.EqualTo(":bob!nc@127.0.0.1 PRIVMSG #rxchat :still here"));
            Assert.That(secondPing, Is.EqualTo($":{Server} PING :{Server}"), "its PONG counted as activity");
            Assert.That(rest, Is.EqualTo(new[] { ":bob!nc@127.0.0.1 PRIVMSG #rxchat :and here", "ERROR :Disconnected: idle" }));
            Assert.That(bobHeard, Is.EqualTo(new[] { "bob: still here", "bob: and here" }), "then alice leaves as any idle client does");
        });
    }

    [Test]
    public async Task SlowIrcClient_IsBoundedByItsOutbox_AndToldWhatItMissedAsANotice()
    {
        // 8 MB: more than the socket buffers between the server and a client that does not read can hold.
        const int Lines = 20_000;
        await using var server = Start(new ChatServerOptions { RateLimit = 0, OutboxCapacity = 16 });
        var slowSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slowSocket.ConnectAsync(server.IrcEndPoint!);
        await slowSocket.SendAsync(Encoding.ASCII.GetBytes("NICK slow\r\nUSER slow 0 * :slow\r\nJOIN #rxchat\r\n"));
        using var slow = new IrcReader(slowSocket);
        await slow.ReadThroughAsync(l => l.Contains(" 366 ", StringComparison.Ordinal));
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await server.EnterAsync("carol");
        await bob.ExpectAsync("carol has arrived");

        var payload = new string('x', 400);
        // Carol reads as fast as bob sends, eight lines at a time (her outbox is small too); the slow one does not read.
        for (var i = 0; i < Lines; i++)
        {
            await bob.SendAsync($"{i} {payload}");
            if (i % 8 == 7)
            {
                await carol.ReadUntilAsync($"bob: {i} {payload}");
            }
        }

        // Now it reads again; bob says "done N" (each heard by carol before the next) until one reaches it.
        var reading = slow.ReadThroughAsync(l => l.Contains(" :done ", StringComparison.Ordinal));
        var dones = 0;
        while (!reading.IsCompleted && dones < 10_000)
        {
            await bob.SendAsync($"done {dones}");
            await carol.ReadUntilAsync($"bob: done {dones++}");
        }

        var received = await reading;
        var firstDone = int.Parse(received[^1].Split(":done ")[1], System.Globalization.CultureInfo.InvariantCulture);

        var notices = received.Where(l => l.StartsWith($":{Server} NOTICE slow :(", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(notices, Is.Not.Empty, "the IRC door's form of '(N messages dropped)'");
            Assert.That(notices, Is.All.Match($@"^:{Server} NOTICE slow :\(\d+ messages dropped\)$"));
            var delivered = received.Count(l => l.Contains(" PRIVMSG #rxchat :", StringComparison.Ordinal));
            var dropped = notices.Sum(n => long.Parse(n.Split('(')[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture));
            Assert.That(delivered, Is.LessThan(Lines));
            Assert.That(delivered + dropped, Is.EqualTo(Lines + firstDone + 1), "every line is delivered or counted as dropped");
        });
    }

    // Reads a raw socket's IRC lines for the slow-client test.
    private sealed class IrcReader(Socket socket) : IDisposable
    {
        private readonly StreamReader _reader = new(new NetworkStream(socket, ownsSocket: true));

        public async Task<List<string>> ReadThroughAsync(Func<string, bool> last)
        {
            using var cts = new CancellationTokenSource(LineClient.Timeout * 2);
            var lines = new List<string>();
            while (await _reader.ReadLineAsync(cts.Token) is { } line)
            {
                lines.Add(line);
                if (last(line))
                {
                    break;
                }
            }

            return lines;
        }

        public void Dispose() => _reader.Dispose();
    }

    [Test]
    public async Task Shutdown_IrcClientsGetErrorServerShuttingDownThenTheClose()
    {
        var server = Start();
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await Register(server, "alice");
        await bob.ExpectAsync("alice has arrived");

        await server.DisposeAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(await alice.ReadToEndAsync(), Is.EqualTo(new[] { "ERROR :Server shutting down" }));
            Assert.That(await bob.ReadToEndAsync(), Is.EqualTo(new[] { "Server shutting down" }));
        });
    }

    [Test]
    public async Task UnknownAndOtherChannels_Get421And403_AndTheConnectionStays()
    {
        await using var server = Start();
        await using var alice = await Register(server, "alice");

        await alice.SendAsync("KNOCK #rxchat", "JOIN #elsewhere", "PRIVMSG #elsewhere :hi", "TOPIC #rxchat", "MOTD", "PING :end");
        var lines = await alice.ReadThroughAsync(l => l.EndsWith(":end", StringComparison.Ordinal));

        Assert.That(lines.Select(IrcClient.Command), Is.EqualTo(new[] { "421", "403", "403", "331", "422", "PONG" }), string.Join("\n", lines));
    }

    [Test]
    public async Task LineClient_IsToldAboutIrcClientsThroughTheEventsToo()
    {
        await using var server = Start();
        var entered = new List<string>();
        using var subscription = server.Events.OfType<ClientEntered>().Subscribe(e => { lock (entered) { entered.Add(e.Name); } });
        await using var alice = await Register(server, "alice");
        await using var bob = await server.EnterAsync("bob");

        lock (entered)
        {
            Assert.That(entered, Is.EqualTo(new[] { "alice", "bob" }));
        }
    }

    [Test]
    public async Task OverTls_AnIrcClientChatsWithAPlainLineClient(CancellationToken cancellationToken)
    {
        using var certificates = TestCertificates.Create();
        await using var server = TestServer.Start(new ChatServerOptions
        {
            IrcTlsPort = 0, IrcServerName = Server, TlsCertificate = certificates.CertFile, TlsKey = certificates.KeyFile,
        });
        await using var bob = await server.EnterAsync("bob");
        await using var alice = await IrcClient.ConnectTlsAsync(server.IrcTlsEndPoint!, certificates.Authority, "alice", cancellationToken);
        await alice.RegisterAsync();
        await bob.ExpectAsync("alice has arrived");

        await alice.SendAsync("PRIVMSG #rxchat :hi bob, over TLS");
        var bobHeard = await bob.ReadLineAsync();
        await bob.SendAsync("hi alice, in the clear");

        Assert.Multiple(async () =>
        {
            Assert.That(server.IrcEndPoint, Is.Null, "no plain IRC door was asked for");
            Assert.That(alice.Line.RemoteCertificate!.Thumbprint, Is.EqualTo(certificates.ServerThumbprint));
            Assert.That(bobHeard, Is.EqualTo("alice: hi bob, over TLS"));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo(":bob!nc@127.0.0.1 PRIVMSG #rxchat :hi alice, in the clear"));
        });
    }
}

