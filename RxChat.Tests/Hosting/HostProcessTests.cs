using System.Net.Sockets;
using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Hosting;

/// <summary>The real host process, started as the README does, on an ephemeral port.</summary>
[CancelAfter(120_000)]
public class HostProcessTests
{
    [Test]
    public async Task Host_PortZero_PrintsListeningAndTwoClientsChat()
    {
        await using var host = await HostProcess.StartAsync(["--port", "0"]);
        await using var alice = await LineClient.EnterAsync(host.EndPoint, "alice");
        await using var bob = await LineClient.EnterAsync(host.EndPoint, "bob");
        await alice.ExpectAsync("bob has arrived");

        // Lines of two connections have no order between them: bob answers once he has heard alice.
        await alice.SendAsync("hi bob");
        var bobHeard = await bob.ReadLineAsync();
        await bob.SendAsync("hi alice");

        Assert.Multiple(async () =>
        {
            Assert.That(host.Output[0], Does.Match(@"^listening on 127\.0\.0\.1:\d+$"));
            Assert.That(bobHeard, Is.EqualTo("alice: hi bob"));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("alice: hi bob"));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("bob: hi alice"));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("bob: hi alice"));
        });
    }

    [Test]
    public async Task Host_TwoThousandClients_RunsOnAFewThreads()
    {
        const int count = 2000;
        await using var host = await HostProcess.StartAsync(["--port", "0", "--rate-limit", "0"]);
        var sockets = new List<Socket>();
        try
        {
            // Connect and answer the prompt without reading: the kernel buffers and the outboxes absorb the
            // arrival announcements (about count²/2 lines), as they would for clients that read slowly.
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(host.EndPoint);
                await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes($"c{i}\n"));
                sockets.Add(socket);
            }

            // A probe that enters last sees everyone listed: all 2,000 are in.
            await using var probe = await LineClient.ConnectAsync(host.EndPoint);
            probe.ReadTimeout = TimeSpan.FromSeconds(60); // about 2 million arrival lines go out first
            await probe.ExpectAsync("What is your name?");
            await probe.SendAsync("probe");
            await probe.ExpectAsync("You are probe");
            var listed = (await probe.ReadLineAsync())!.Split(", ").Length;
            var threads = host.ThreadCount();

            Assert.Multiple(() =>
            {
                Assert.That(listed, Is.EqualTo(count + 1));
                Assert.That(threads, Is.LessThanOrEqualTo(64), "a thread per client would be a bug");
            });
            TestContext.Out.WriteLine($"threads with {count} clients: {threads}");
        }
        finally
        {
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }
        }
    }

    [TestCase(15, TestName = "Host_Sigterm_EveryClientGetsShuttingDownAndExitCodeIsZero")]
    [TestCase(2, TestName = "Host_Sigint_EveryClientGetsShuttingDownAndExitCodeIsZero")]
    public async Task Host_Signal_ShutsDownGracefully(int signal)
    {
        await using var host = await HostProcess.StartAsync(["--port", "0"]);
        await using var alice = await LineClient.EnterAsync(host.EndPoint, "alice");
        await using var bob = await LineClient.EnterAsync(host.EndPoint, "bob");
        await using var lurker = await LineClient.ConnectAsync(host.EndPoint);
        await lurker.ExpectAsync("What is your name?");
        await alice.ExpectAsync("bob has arrived");

        host.Signal(signal);
        var heard = await Task.WhenAll(alice.ReadToEndAsync(), bob.ReadToEndAsync(), lurker.ReadToEndAsync());
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Multiple(() =>
        {
            Assert.That(heard, Has.All.EqualTo(new[] { "Server shutting down" }));
            Assert.That(exitCode, Is.Zero);
        });
    }

    [Test]
    public async Task Host_EnvironmentVariable_IsAnOption()
    {
        await using var host = await HostProcess.StartAsync([], environment: new Dictionary<string, string> { ["RXCHAT_PORT"] = "0", ["RXCHAT_MAX_CLIENTS"] = "1" });
        await using var first = await LineClient.ConnectAsync(host.EndPoint);
        await first.ExpectAsync("What is your name?");
        await using var second = await LineClient.ConnectAsync(host.EndPoint);

        Assert.That(await second.ReadToEndAsync(), Is.EqualTo(new[] { "error: server full" }));
    }
}
