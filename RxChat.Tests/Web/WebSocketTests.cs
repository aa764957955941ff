using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Reactive.Linq;
using System.Text;
using NUnit.Framework;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Web;

/// <summary>
/// The web door's WebSocket over real sockets (PROTOCOL.md, Doors, Web door): the line protocol, one line per text
/// message each way, for a client of the same room as the line door's clients, under the same limits.
/// </summary>
[CancelAfter(60_000)]
public class WebSocketTests
{
    [Test]
    public async Task WebClient_EntersAndChats_WithALineClientBothWays()
    {
        await using var server = TestServer.StartWeb();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await WebSocketClient.ConnectAsync(server.WebSocketUri());
        var prompt = await carol.ReadLineAsync();
        await carol.SendAsync("carol");
        var welcome = new[] { await carol.ReadLineAsync(), await carol.ReadLineAsync() };
        var arrived = await bob.ReadLineAsync();

        await carol.SendAsync("hi bob");
        var bobHeard = await bob.ReadLineAsync();
        var carolHeard = await carol.ReadLineAsync();
        await bob.SendAsync("hi carol");

        Assert.Multiple(async () =>
        {
            Assert.That(prompt, Is.EqualTo("What is your name?"));
            Assert.That(welcome, Is.EqualTo(new[] { "You are carol", "Current clients: bob, carol" }));
            Assert.That(arrived, Is.EqualTo("carol has arrived"));
            Assert.That(bobHeard, Is.EqualTo("carol: hi bob"));
            Assert.That(carolHeard, Is.EqualTo("carol: hi bob"), "the sender hears its own line, as at the line door");
            Assert.That(await carol.ReadLineAsync(), Is.EqualTo("bob: hi carol"));
        });
    }

    [Test]
    public async Task WebClient_BadThenTakenName_GetsTheErrorAndThePromptAgain()
    {
        await using var server = TestServer.StartWeb();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await WebSocketClient.ConnectAsync(server.WebSocketUri());
        await carol.ExpectAsync("What is your name?");

        await carol.SendAsync("no spaces please");
        var invalid = await carol.ReadLinesAsync(2);
        await carol.SendAsync("BOB");
        var taken = await carol.ReadLinesAsync(2);
        await carol.SendAsync("");
        var byAddress = await carol.ReadLineAsync();

        Assert.Multiple(() =>
        {
            Assert.That(invalid[0]!, Does.StartWith("error: "));
            Assert.That(invalid[1], Is.EqualTo("What is your name?"));
            Assert.That(taken, Is.EqualTo(new[] { "error: name 'BOB' is taken", "What is your name?" }));
            Assert.That(byAddress, Does.Match(@"^You are 127\.0\.0\.1:\d+$"), "an empty name is the client's address, as Go writes it");
        });
    }

    [Test]
    public async Task WebClient_Commands_AnswerAsAtTheLineDoor()
    {
        await using var server = TestServer.StartWeb();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        await bob.ExpectAsync("carol has arrived");

        await carol.SendAsync("/who");
        var who = await carol.ReadLineAsync();
        await carol.SendAsync("/msg bob psst");
        var echo = await carol.ReadLineAsync();
        var whispered = await bob.ReadLineAsync();
        await carol.SendAsync("/me waves");
        var action = (await carol.ReadLineAsync(), await bob.ReadLineAsync());
        await carol.SendAsync("/nick caro");
        var renamed = (await carol.ReadLineAsync(), await bob.ReadLineAsync());
        await carol.SendAsync("/help");
        var help = await carol.ReadLinesAsync(7);
        await carol.SendAsync("/history");
        var history = await carol.ReadLinesAsync(2);
        await carol.SendAsync("/nope");
        var unknown = await carol.ReadLineAsync();
        await carol.SendAsync("/quit");
        var end = await carol.ReadToEndAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(who, Is.EqualTo("Current clients: bob, carol"));
            Assert.That(echo, Is.EqualTo("-> bob: psst"));
            Assert.That(whispered, Is.EqualTo("carol (private): psst"));
            Assert.That(action, Is.EqualTo(("* carol waves", "* carol waves")));
            Assert.That(renamed, Is.EqualTo(("carol is now known as caro", "carol is now known as caro")));
            Assert.That(help.Select(l => l!.Split(' ')[0]), Is.EqualTo(new[] { "/who", "/nick", "/me", "/msg", "/quit", "/history", "/help" }));
            Assert.That(history[0], Is.EqualTo("History: 1 lines"));
            Assert.That(history[1], Does.Match(@"^\[\d\d:\d\d:\d\d\] \* carol waves$"));
            Assert.That(unknown, Does.StartWith("error: unknown command"));
            Assert.That(end, Is.Empty, "/quit closes the socket");
            Assert.That(carol.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("caro has left"));
        });
    }

    [Test]
    public async Task Message_HoldingNewlines_IsSeveralLines_AndAnEmptyOneIsIgnored()
    {
        await using var server = TestServer.StartWeb();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        await bob.ExpectAsync("carol has arrived");

        await carol.SendAsync("one\ntwo\r\nthree");
        await carol.SendAsync("");
        await carol.SendAsync("four\n");
        await carol.SendFramesAsync(Encoding.UTF8.GetBytes("fi\u00e9ve\nsix"), 3, 9);

        Assert.That(await bob.ReadLinesAsync(6), Is.EqualTo(new[] { "carol: one", "carol: two", "carol: three", "carol: four", "carol: fi\u00e9ve", "carol: six" }),
            "a \\n ends a line, a \\r before it is dropped, the message's end ends its last; frames cut anywhere (inside a character too) make one message");
    }

    [Test]
    public async Task Message_LongerThanTheLimit_IsRefusedWithTheLineDoorsError_AndTheConnectionStays()
    {
        await using var server = TestServer.StartWeb(new ChatServerOptions { MaxLineLength = 100 });
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        await bob.ExpectAsync("carol has arrived");

        // 100 bytes pass; 101 do not, nor does a 50 KB message sent in frames; a long line among short ones costs only itself.
        await carol.SendAsync(new string('a', 100));
        await carol.SendAsync(new string('b', 101));
        var big = Encoding.UTF8.GetBytes(new string('c', 50_000));
        await carol.SendFramesAsync(big, 10, 4_000, 30_000);
        await carol.SendAsync("short\n" + new string('d', 300) + "\nafter");
        await carol.SendAsync("still here");

        var carolHeard = await carol.ReadLinesAsync(7);
        Assert.Multiple(async () =>
        {
            Assert.That(carolHeard, Is.EqualTo(new[]
            {
                $"carol: {new string('a', 100)}",
                "error: line too long (at most 100 bytes)",
                "error: line too long (at most 100 bytes)",
                "carol: short",
                "error: line too long (at most 100 bytes)",
                "carol: after",
                "carol: still here",
            }));
            Assert.That(await bob.ReadLinesAsync(4), Is.EqualTo(new[] { $"carol: {new string('a', 100)}", "carol: short", "carol: after", "carol: still here" }),
                "nobody else hears of it");
        });
    }

    [Test]
    public async Task LongMessage_DuringEntering_GetsTheErrorThenThePrompt()
    {
        await using var server = TestServer.StartWeb(new ChatServerOptions { MaxLineLength = 10 });
        await using var carol = await WebSocketClient.ConnectAsync(server.WebSocketUri());
        await carol.ExpectAsync("What is your name?");

        await carol.SendAsync("a-name-that-is-too-long");

        Assert.That(await carol.ReadLinesAsync(2), Is.EqualTo(new[] { "error: line too long (at most 10 bytes)", "What is your name?" }));
    }

    [Test]
    public async Task BinaryMessage_ClosesWith1003_AndTheOthersHearTheClientLeave()
    {
        await using var server = TestServer.StartWeb();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        await bob.ExpectAsync("carol has arrived");

        await carol.SendAsync([1, 2, 3], WebSocketMessageType.Binary);
        var rest = await carol.ReadToEndAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(rest, Is.Empty);
            Assert.That(carol.CloseStatus, Is.EqualTo(WebSocketCloseStatus.InvalidMessageType), "1003");
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("carol has left"));
        });
    }

    [Test]
    public async Task ClientClose_IsAnEndOfStream_AnnouncedOnce()
    {
        await using var server = TestServer.StartWeb();
        await using var bob = await server.EnterAsync("bob");
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        await bob.ExpectAsync("carol has arrived");

        await carol.CloseAsync();
        var rest = await carol.ReadToEndAsync();
        await bob.SendAsync("after");

        Assert.Multiple(async () =>
        {
            Assert.That(rest, Is.Empty);
            Assert.That(carol.State, Is.EqualTo(WebSocketState.Closed), "the server answered the close");
            Assert.That(await bob.ReadLinesAsync(2), Is.EqualTo(new[] { "carol has left", "bob: after" }));
        });
    }

    [TestCase("http://evil.example")]
    [TestCase("null")]
    [TestCase("http://127.0.0.1:1")]
    public async Task Upgrade_FromAnotherOrigin_IsRefusedWith403(string origin)
    {
        await using var server = TestServer.StartWeb();
        await using var bob = await server.EnterAsync("bob");

        var (client, status) = await WebSocketClient.TryConnectAsync(server.WebSocketUri(), origin);
        await bob.SendAsync("still alone");

        Assert.Multiple(async () =>
        {
            Assert.That(client, Is.Null);
            Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("bob: still alone"), "nobody arrived");
        });
    }

    [Test]
    public async Task Upgrade_FromThePagesOwnOriginOrAnAllowedOne_IsAccepted()
    {
        await using var server = TestServer.StartWeb(new ChatServerOptions { HttpAllowedOrigins = "https://chat.example.com, http://LOCALHOST:3000" });
        var own = $"http://127.0.0.1:{server.HttpEndPoint!.Port}";

        await using var fromPage = await WebSocketClient.ConnectAsync(server.WebSocketUri(), own);
        await using var fromAllowed = await WebSocketClient.ConnectAsync(server.WebSocketUri(), "https://chat.example.com");
        await using var fromAllowedCase = await WebSocketClient.ConnectAsync(server.WebSocketUri(), "http://localhost:3000");
        await using var withoutOrigin = await WebSocketClient.ConnectAsync(server.WebSocketUri());
        var (refused, status) = await WebSocketClient.TryConnectAsync(server.WebSocketUri(), "https://chat.example.com:8443");

        Assert.Multiple(async () =>
        {
            Assert.That(await fromPage.ReadLineAsync(), Is.EqualTo("What is your name?"));
            Assert.That(await fromAllowed.ReadLineAsync(), Is.EqualTo("What is your name?"));
            Assert.That(await fromAllowedCase.ReadLineAsync(), Is.EqualTo("What is your name?"));
            Assert.That(await withoutOrigin.ReadLineAsync(), Is.EqualTo("What is your name?"), "a client that is not a browser sends no origin");
            Assert.That((refused, status), Is.EqualTo(((WebSocketClient?)null, HttpStatusCode.Forbidden)), "another port is another origin");
        });
    }

    [Test]
    public async Task Idle_WebClient_IsToldAndClosed_AndTheOthersHearItLeave()
    {
        await using var server = TestServer.StartWeb(new ChatServerOptions { IdleTimeout = TimeSpan.FromSeconds(1), RateLimit = 0 });
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        await using var bob = await server.EnterAsync("bob");
        await carol.ExpectAsync("bob has arrived");

        // bob keeps talking until carol is gone (and so stays, however late the timers run); carol only listens,
        // which is not activity.
        using var carolGone = new CancellationTokenSource();
        var bobTalks = Task.Run(async () =>
        {
            for (var i = 0; !carolGone.IsCancellationRequested; i++)
            {
                await bob.SendAsync($"tick {i}");
                await bob.ReadUntilAsync($"bob: tick {i}");
            }
        });
        var carolHeard = await carol.ReadToEndAsync();
        await carolGone.CancelAsync();

        Assert.Multiple(() =>
        {
            Assert.That(carolHeard, Is.Not.Empty);
            Assert.That(carolHeard[^1], Is.EqualTo("Disconnected: idle"));
            Assert.That(carolHeard.SkipLast(1), Is.All.StartWith("bob: tick"));
            Assert.That(carol.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        });
        await bobTalks.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Test]
    public async Task EmptyMessage_IsAnEmptyLine_AsTheLineDoorReadsIt()
    {
        // An empty text message is one empty line: as the name, it is the client's address (PROTOCOL.md, Entering);
        // that it also counts against the idle timeout, as every line does, the core's tests show in virtual time.
        await using var server = TestServer.StartWeb();
        await using var carol = await WebSocketClient.ConnectAsync(server.WebSocketUri());
        await carol.ExpectAsync("What is your name?");

        await carol.SendAsync("");
        var named = await carol.ReadLineAsync();
        await carol.SendAsync("");
        await carol.SendAsync("/who");

        Assert.Multiple(async () =>
        {
            Assert.That(named, Does.Match(@"^You are 127\.0\.0\.1:\d+$"));
            Assert.That(await carol.ReadLineAsync(), Does.StartWith("Current clients: "));
            Assert.That(await carol.ReadLineAsync(), Is.EqualTo("Current clients: " + named!["You are ".Length..]), "an empty chat line says nothing");
        });
    }

    [Test]
    public async Task KeepAlive_TheServerPingsAtHalfTheIdleTimeout()
    {
        await using var server = TestServer.StartWeb(new ChatServerOptions { IdleTimeout = TimeSpan.FromSeconds(2) });

        // A client by hand, to see the frames: the upgrade, the prompt (a text frame), then a ping (opcode 9) after 1 s.
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.HttpEndPoint!);
        using var stream = new NetworkStream(socket);
        var port = server.HttpEndPoint!.Port;
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var headers = await ReadHeadersAsync(stream);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var first = await ReadFrameAsync(stream);
        var second = await ReadFrameAsync(stream);
        var waited = started.Elapsed;

        Assert.Multiple(() =>
        {
            Assert.That(headers, Does.StartWith("HTTP/1.1 101 "));
            Assert.That(headers, Does.Contain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
            Assert.That(first, Is.EqualTo((1, "What is your name?")), "a text frame");
            Assert.That(second.Opcode, Is.EqualTo(9), "a ping");
            Assert.That(waited, Is.GreaterThan(TimeSpan.FromMilliseconds(700)).And.LessThan(TimeSpan.FromSeconds(1.9)));
        });
    }

    [TestCase(SlowClientPolicy.Drop)]
    [TestCase(SlowClientPolicy.Disconnect)]
    public async Task SlowWebClient_IsBoundedByItsOutbox_AndNeverDelaysOthers(SlowClientPolicy policy)
    {
        const int lines = 10_000, size = 1_000, chunk = 250;
        await using var server = TestServer.StartWeb(new ChatServerOptions { RateLimit = 0, SlowClientPolicy = policy, IdleTimeout = TimeSpan.Zero });

        // The slow client: a small receive buffer, and it reads nothing (beyond its welcome) until the flood is over.
        await using var slow = await WebSocketClient.ConnectAsync(server.WebSocketUri(), receiveBufferSize: 4096);
        await slow.ExpectAsync("What is your name?");
        await slow.SendAsync("slow");
        await slow.ExpectAsync("You are slow");
        await slow.ExpectAsync("Current clients: slow");
        await using var fast = await server.EnterAsync("fast");
        await using var sender = await server.EnterAsync("s");
        await fast.ExpectAsync("s has arrived");
        var padding = new string('x', size);

        // The sender stays at most two chunks ahead of the fast client, which reads everything; the slow one reads nothing.
        var chunks = Enumerable.Range(0, lines / chunk).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var slowLeft = false;
        var fastHeard = Task.Run(async () =>
        {
            var heard = 0;
            while (heard < lines)
            {
                string line;
                try
                {
                    line = await fast.ReadLineAsync() ?? throw new InvalidOperationException("end of stream");
                }
                catch (OperationCanceledException e)
                {
                    throw new TimeoutException($"the fast client heard {heard} of the lines, then nothing for {fast.ReadTimeout}", e);
                }

                slowLeft |= line == "slow has left";
                if (line.StartsWith($"s: {heard} ", StringComparison.Ordinal) && ++heard % chunk == 0)
                {
                    chunks[heard / chunk - 1].TrySetResult();
                }
            }

            return heard;
        });
        _ = Task.Run(sender.DrainAsync);
        for (var i = 0; i < lines; i++)
        {
            if (i % chunk == 0 && i >= 2 * chunk)
            {
                await chunks[i / chunk - 2].Task.WaitAsync(LineClient.Timeout);
            }

            await sender.SendAsync($"{i} {padding}");
        }

        var fastCount = await fastHeard;

        // Now the slow client reads again; the sender says "done N" until one reaches it (or it is gone).
        var received = new List<string>();
        var reading = Task.Run(async () =>
        {
            while (await ReadOrSay(slow, $"the slow client read {received.Count} lines, then nothing for {slow.ReadTimeout}") is { } line)
            {
                received.Add(line);
                if (line.StartsWith("s: done", StringComparison.Ordinal))
                {
                    break;
                }
            }
        });
        for (var n = 0; !reading.IsCompleted && n < 1_000; n++)
        {
            await sender.SendAsync($"done {n}");
            await fast.ReadUntilAsync($"s: done {n}");
        }

        await reading;
        var chat = received.Where(l => l.StartsWith("s: ", StringComparison.Ordinal) && !l.StartsWith("s: done", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(fastCount, Is.EqualTo(lines), "the fast client gets every line");
            Assert.That(chat, Has.Count.LessThan(lines), "the slow one did not");
            Assert.That(chat.Select(l => int.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)), Is.Ordered.And.Unique);
            if (policy == SlowClientPolicy.Drop)
            {
                // The lines it missed are counted, in one notice or more (each time its outbox filled again), and each
                // notice comes right before the next line that fitted.
                var notices = received.Select((l, i) => (Line: l, At: i)).Where(l => l.Line.EndsWith(" messages dropped)", StringComparison.Ordinal)).ToList();
                var dropped = notices.Sum(n => int.Parse(n.Line.Split(' ')[0].TrimStart('('), System.Globalization.CultureInfo.InvariantCulture));
                var firstFit = int.Parse(received[^1]["s: done ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.That(notices, Is.Not.Empty);
                Assert.That(notices.Select(n => received[n.At + 1]), Is.All.StartWith("s: "));
                Assert.That(chat.Count + dropped + 1, Is.EqualTo(lines + firstFit + 1), "lines delivered plus dropped equals lines sent to it");
            }
            else
            {
                Assert.That(received.Where(l => l.Contains("dropped", StringComparison.Ordinal)), Is.Empty);
                Assert.That(slow.State, Is.AnyOf(WebSocketState.Closed, WebSocketState.CloseReceived, WebSocketState.Aborted), "closed");
                Assert.That(slowLeft, Is.True, "the others hear that the slow client left");
            }
        });
    }

    [Test]
    public async Task Shutdown_WebClientGetsTheLineAfterWhatWasQueued_ThenACloseFrame()
    {
        var server = TestServer.StartWeb();
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        await using var bob = await server.EnterAsync("bob");
        await carol.ExpectAsync("bob has arrived");
        await bob.SendAsync("last words");
        await carol.ExpectAsync("bob: last words");

        var stopping = server.StopAsync();
        var rest = await carol.ReadToEndAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await server.DisposeAsync();

        Assert.Multiple(() =>
        {
            Assert.That(rest, Is.EqualTo(new[] { "Server shutting down" }));
            Assert.That(carol.CloseStatus, Is.EqualTo(WebSocketCloseStatus.EndpointUnavailable), "1001: going away");
        });
    }

    [Test]
    public async Task Shutdown_WebDoorRefusesNewcomersAndSays503()
    {
        var server = TestServer.StartWeb();
        var uri = server.WebSocketUri();
        using var http = new HttpClient();
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        carol.ReadTimeout = TimeSpan.FromSeconds(10);

        var stopping = server.StopAsync();
        await carol.ReadToEndAsync();
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await server.DisposeAsync();

        await Assert.ThrowsAsync(Is.InstanceOf<WebSocketException>().Or.InstanceOf<HttpRequestException>(), async () => await WebSocketClient.ConnectAsync(uri));
    }

    [Test]
    public async Task WebClient_AndAnIrcClient_ChatInOneRoom_EachInItsDoorsForm()
    {
        await using var server = TestServer.StartWeb(new ChatServerOptions { IrcPort = 0, IrcServerName = "irc.test" });
        await using var alice = await IrcClient.RegisterAsync(server.IrcEndPoint!, "alice");
        await using var carol = await WebSocketClient.EnterAsync(server.WebSocketUri(), "carol");
        var joined = await alice.ReadCommandAsync("JOIN");

        await carol.SendAsync("hello irc");
        var privmsg = await alice.ReadCommandAsync("PRIVMSG");
        await alice.SendAsync("PRIVMSG #rxchat :hello web", "PRIVMSG #rxchat :\u0001ACTION waves\u0001");

        Assert.Multiple(async () =>
        {
            Assert.That(joined, Is.EqualTo(":carol!web@127.0.0.1 JOIN #rxchat"));
            Assert.That(privmsg, Is.EqualTo(":carol!web@127.0.0.1 PRIVMSG #rxchat :hello irc"));
            Assert.That(await carol.ReadLinesAsync(3), Is.EqualTo(new[] { "carol: hello irc", "alice: hello web", "* alice waves" }),
                "the web door renders the line door's text");
        });
    }

    [Test]
    public async Task ConnectionIds_AreUniqueAcrossDoors()
    {
        var opened = new List<RxChat.Core.ConnectionId>();
        await using var server = TestServer.StartWeb();
        using var events = server.Events.OfType<RxChat.Core.ConnectionOpened>().Subscribe(e => { lock (opened) { opened.Add(e.Id); } });
        await using var a = await server.EnterAsync("a");
        await using var b = await WebSocketClient.EnterAsync(server.WebSocketUri(), "b");
        await using var c = await server.EnterAsync("c");
        await using var d = await WebSocketClient.EnterAsync(server.WebSocketUri(), "d");

        lock (opened)
        {
            Assert.That(opened.Select(i => i.Value), Is.EqualTo(new long[] { 1, 2, 3, 4 }));
        }
    }

    private static async Task<string?> ReadOrSay(WebSocketClient client, string stalled)
    {
        try
        {
            return await client.ReadLineAsync();
        }
        catch (OperationCanceledException e)
        {
            throw new TimeoutException(stalled, e);
        }
    }

    private static async Task<string> ReadHeadersAsync(NetworkStream stream)
    {
        var text = new StringBuilder();
        var one = new byte[1];
        while (!text.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            using var deadline = new CancellationTokenSource(LineClient.Timeout);
            if (await stream.ReadAsync(one, deadline.Token) == 0)
            {
                throw new EndOfStreamException(text.ToString());
            }

            text.Append((char)one[0]);
        }

        return text.ToString();
    }

    // One unmasked server frame: its opcode and its payload as text.
    private static async Task<(int Opcode, string Payload)> ReadFrameAsync(NetworkStream stream)
    {
        using var deadline = new CancellationTokenSource(LineClient.Timeout);
        var head = new byte[2];
        await stream.ReadExactlyAsync(head, deadline.Token);
        var length = head[1] & 0x7F;
        if (length == 126)
        {
            var extended = new byte[2];
            await stream.ReadExactlyAsync(extended, deadline.Token);
            length = (extended[0] << 8) | extended[1];
        }

        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, deadline.Token);
        return (head[0] & 0x0F, Encoding.UTF8.GetString(payload));
    }
}
