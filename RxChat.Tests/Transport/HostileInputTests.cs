using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Transport;

/// <summary>PROTOCOL.md, Limits and bad input, over real sockets: bad input costs nobody else a message.</summary>
[CancelAfter(60_000)]
public class HostileInputTests
{
    [Test]
    public async Task LongLine_GetsOneErrorAndTheConnectionStaysUsable()
    {
        await using var server = TestServer.Start(new ChatServerOptions { MaxLineLength = 100 });
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.EnterAsync("bob");
        await alice.ExpectAsync("bob has arrived");

        await alice.SendAsync(new string('x', 100));
        await alice.SendAsync(new string('y', 101));
        await alice.SendAsync("still here");

        Assert.Multiple(async () =>
        {
            Assert.That(await alice.ReadUntilAsync("alice: still here"), Is.EqualTo(new[] { $"alice: {new string('x', 100)}", "error: line too long (at most 100 bytes)" }));
            Assert.That(await bob.ReadUntilAsync("alice: still here"), Is.EqualTo(new[] { $"alice: {new string('x', 100)}" }));
        });
    }

    [Test]
    public async Task LongLine_DuringEntering_ErrorThenPrompt()
    {
        await using var server = TestServer.Start(new ChatServerOptions { MaxLineLength = 10 });
        await using var client = await server.ConnectAsync();
        await client.ExpectAsync("What is your name?");

        await client.SendAsync("abcdefghijklmnop");

        Assert.Multiple(async () =>
        {
            Assert.That(await client.ReadLineAsync(), Is.EqualTo("error: line too long (at most 10 bytes)"));
            Assert.That(await client.ReadLineAsync(), Is.EqualTo("What is your name?"));
        });
    }

    [Test]
    public async Task FiftyMegabyteLine_WithoutNewline_IsNotBufferedAndDrawsTheErrorAtOnce()
    {
        await using var server = TestServer.Start(new ChatServerOptions { RateLimit = 0 });
        await using var alice = await server.EnterAsync("alice");
        var chunk = Encoding.ASCII.GetBytes(new string('z', 1 << 20));
        var before = GC.GetTotalMemory(forceFullCollection: true);

        await alice.SendRawAsync(chunk);
        var error = await alice.ReadLineAsync();
        for (var i = 1; i < 50; i++)
        {
            await alice.SendRawAsync(chunk);
        }

        // The server has read it all once "after" comes back.
        await alice.SendRawAsync(Encoding.ASCII.GetBytes("\nafter\n"));
        var next = await alice.ReadLineAsync();
        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;

        Assert.Multiple(() =>
        {
            Assert.That(error, Is.EqualTo("error: line too long (at most 4096 bytes)"), "as soon as the limit is passed");
            Assert.That(next, Is.EqualTo("alice: after"), "one error for the whole line, and the connection goes on");
            Assert.That(growth, Is.LessThan(4_000_000), "the 50 MB line is skipped, not kept");
        });
    }

    [Test]
    public async Task Flood_OverTheRate_IsCutWithOneSlowDown()
    {
        await using var server = TestServer.Start(new ChatServerOptions { RateLimit = 1, RateBurst = 5 });
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.EnterAsync("bob");
        await alice.ExpectAsync("bob has arrived");

        await alice.SendRawAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 50).Select(i => $"flood {i}\n"))));
        var beforeError = await alice.ReadUntilAsync("error: slow down");

        // Lines from two connections have no order between them: bob speaks once alice has been told.
        await bob.SendAsync("marker");
        var aliceAfter = await alice.ReadUntilAsync("bob: marker");
        var bobHeard = await bob.ReadUntilAsync("bob: marker");
        Assert.Multiple(() =>
        {
            Assert.That(beforeError, Has.Count.InRange(4, 6), "the burst (less the name's token, plus what refilled)");
            Assert.That(bobHeard, Is.EqualTo(Enumerable.Range(0, bobHeard.Count).Select(i => $"alice: flood {i}")));
            Assert.That(bobHeard, Has.Count.InRange(4, 6));
            Assert.That(aliceAfter, Has.None.StartsWith("error: "), "one error for the whole flood");
        });
    }

    [Test]
    public async Task ServerFull_NextConnectionGetsErrorAndIsClosed_SlotFreesOnClose()
    {
        await using var server = TestServer.Start(new ChatServerOptions { MaxClients = 2 });
        await using var alice = await server.EnterAsync("alice");
        var lurker = await server.ConnectAsync();
        await lurker.ExpectAsync("What is your name?");
        await using var third = await server.ConnectAsync();

        var refused = await third.ReadToEndAsync();
        lurker.ShutdownSend();
        await lurker.ReadToEndAsync();
        await lurker.DisposeAsync();
        await using var fourth = await server.EnterAsync("fourth");

        Assert.Multiple(async () =>
        {
            Assert.That(refused, Is.EqualTo(new[] { "error: server full" }));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("fourth has arrived"));
        });
    }

    [Test]
    public async Task Telnet_NegotiationBytes_DoNotReachOthers()
    {
        await using var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.EnterAsync("bob");
        await alice.ExpectAsync("bob has arrived");

        await bob.SendRawAsync([255, 251, 31, 255, 251, 24, .. Encoding.ASCII.GetBytes("hello"), 255, 244, 13, 10]);

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo("bob: hello"));
    }

    [Test]
    public async Task ControlsEscapesBidiOverridesAndLineSeparators_NeverReachOthers()
    {
        await using var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");
        await using var mallory = await server.EnterAsync("mallory");
        await alice.ExpectAsync("mallory has arrived");

        await mallory.SendRawAsync(Encoding.UTF8.GetBytes("\u001b[2Jrtl \u202Egpj.exe\u202C\u0007 txt\u2028bob: fake\n"));

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo("mallory: [2Jrtl gpj.exe txtbob: fake"));
    }

    [Test]
    public async Task Faults_ConnectAndSendNothing_ResetWhileBeingWritten_HalfClose_EachAnnouncedOnceAndNobodyElseDisturbed()
    {
        var logs = new RecordingLogger();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        await using var server = TestServer.Start(new ChatServerOptions { RateLimit = 0, OutboxCapacity = 2048 }, factory);
        await using var alice = await server.EnterAsync("alice");

        // Connects and sends nothing, then goes: nobody hears of it.
        var silent = await server.ConnectAsync();
        await silent.DisposeAsync();

        // Does not read while lines pile up for it, then resets in the middle of the writes.
        var victim = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await victim.ConnectAsync(server.EndPoint);
        await victim.SendAsync(Encoding.ASCII.GetBytes("victim\n"));
        await alice.ExpectAsync("victim has arrived");
        // alice waits for her own echo every 500 lines, so that she never becomes a slow consumer herself.
        for (var i = 0; i < 3000; i++)
        {
            await alice.SendAsync($"{i} ".PadRight(200, '.'));
            if (i % 500 == 499)
            {
                var before = await alice.ReadUntilAsync($"alice: {$"{i} ".PadRight(200, '.')}");
                Assert.That(before, Has.None.Contains("messages dropped"), "alice reads what she is sent");
            }
        }

        victim.LingerState = new LingerOption(true, 0);
        victim.Close();
        await alice.ExpectAsync("victim has left");

        // Half-closes after its name: enters and leaves.
        await using var half = await server.ConnectAsync();
        await half.ExpectAsync("What is your name?");
        await half.SendAsync("half");
        half.ShutdownSend();
        await alice.ExpectAsync("half has arrived");
        await alice.ExpectAsync("half has left");

        await alice.SendAsync("still fine");
        Assert.Multiple(async () =>
        {
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("alice: still fine"), "no second departure, nothing else");
            Assert.That(logs.Entries.Where(e => e.Exception is not null), Is.Empty, "nothing unexpected was thrown");
        });
    }
}
