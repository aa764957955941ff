using System.Text;
using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Transport;

/// <summary>PROTOCOL.md, Transport, over real loopback sockets on ephemeral ports.</summary>
[CancelAfter(30_000)]
public class SocketTransportTests
{
    [Test]
    public async Task Connect_Always_ReceivesThePrompt()
    {
        await using var server = TestServer.Start();
        await using var client = await server.ConnectAsync();

        Assert.That(await client.ReadLineAsync(), Is.EqualTo("What is your name?"));
    }

    [Test]
    public async Task Lines_EndingWithCrLf_HaveTheCrDropped()
    {
        await using var server = TestServer.Start();
        await using var alice = await server.ConnectAsync();
        await alice.ExpectAsync("What is your name?");

        await alice.SendRawAsync(Encoding.UTF8.GetBytes("alice\r\nhello\r\n"));

        Assert.That(await alice.ReadUntilAsync("alice: hello"), Is.EqualTo(new[] { "You are alice", "Current clients: alice" }));
    }

    [Test]
    public async Task Lines_FromServer_EndWithLfOnly()
    {
        await using var server = TestServer.Start();
        await using var client = await server.ConnectAsync();
        var buffer = new byte[19];
        var read = 0;
        while (read < buffer.Length)
        {
            read += await client.Socket.ReceiveAsync(buffer.AsMemory(read));
        }

        Assert.That(buffer, Is.EqualTo(Encoding.UTF8.GetBytes("What is your name?\n")));
    }

    [Test]
    public async Task FinalLine_WithoutNewlineAtCleanEndOfStream_StillCounts()
    {
        await using var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.ConnectAsync();
        await bob.ExpectAsync("What is your name?");

        await bob.SendRawAsync(Encoding.UTF8.GetBytes("bob\nlast words"));
        bob.ShutdownSend();

        Assert.That(await alice.ReadUntilAsync("bob has left"), Is.EqualTo(new[] { "bob has arrived", "bob: last words" }));
    }

    [Test]
    public async Task Name_AsLastLineBeforeEndOfStream_StillEntersThenLeaves()
    {
        await using var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.ConnectAsync();
        await bob.ExpectAsync("What is your name?");

        await bob.SendRawAsync(Encoding.UTF8.GetBytes("bob"));
        bob.ShutdownSend();

        Assert.That(await alice.ReadUntilAsync("bob has left"), Is.EqualTo(new[] { "bob has arrived" }));
    }

    [TestCase(new byte[] { (byte)'x', 0xFF, 0xFE, (byte)'y' }, "x\uFFFD\uFFFDy", TestName = "InvalidUtf8_FFFE_BecomesTwoReplacementCharacters")]
    [TestCase(new byte[] { (byte)'a', 0xE2, 0x82 }, "a\uFFFD", TestName = "InvalidUtf8_CutSequence_BecomesOneReplacementCharacter")]
    [TestCase(new byte[] { 0xC3, 0xA9, 0xE2, 0x82, 0xAC }, "é€", TestName = "ValidUtf8_MultiByte_PassesThrough")]
    public async Task Utf8_FromClient_IsDecodedWithReplacement(byte[] text, string expected)
    {
        await using var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");

        await alice.SendRawAsync([.. text, (byte)'\n']);

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo($"alice: {expected}"));
    }

    [Test]
    public async Task Reset_MidLine_DropsThePartialLineAndAnnouncesDepartureOnce()
    {
        await using var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.EnterAsync("bob");
        await alice.ExpectAsync("bob has arrived");

        await bob.SendRawAsync(Encoding.UTF8.GetBytes("half a li"));
        bob.Reset();
        await alice.ExpectAsync("bob has left");
        await alice.SendAsync("still here");

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo("alice: still here"), "no partial line, no second departure");
    }

    [Test]
    public async Task Departure_CleanClose_IsAnnouncedAndTheServerClosesToo()
    {
        await using var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.EnterAsync("bob");
        await alice.ExpectAsync("bob has arrived");

        bob.ShutdownSend();

        await alice.ExpectAsync("bob has left");
        Assert.That(await bob.ReadToEndAsync(), Is.Empty, "bob's connection is closed after his end of stream");
    }

    [Test]
    public async Task TwoHundredClients_AtOnce_AllEnterAndAllHearOneLine()
    {
        const int count = 200;
        await using var server = TestServer.Start();
        var clients = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var client = await server.ConnectAsync();
            await client.ExpectAsync("What is your name?");
            await client.SendAsync($"c{i}");
            await client.ExpectAsync($"You are c{i}");
            return client;
        }));
        try
        {
            // Everyone entered; a newcomer's list names all of them.
            await using var last = await server.ConnectAsync();
            await last.ExpectAsync("What is your name?");
            await last.SendAsync("last");
            await last.ExpectAsync("You are last");
            var list = (await last.ReadLineAsync())!["Current clients: ".Length..].Split(", ");
            await last.SendAsync("hello all");

            var heard = await Task.WhenAll(clients.Select(c => c.ReadUntilAsync("last: hello all")));

            Assert.Multiple(() =>
            {
                Assert.That(list.Order(), Is.EqualTo(Enumerable.Range(0, count).Select(i => $"c{i}").Append("last").Order()));
                Assert.That(heard.All(lines => lines.Contains("last has arrived")), Is.True);
            });
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }
}
