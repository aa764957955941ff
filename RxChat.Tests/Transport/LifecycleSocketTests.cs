using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Tests.Support;
using RxChat.Transport;

namespace RxChat.Tests.Transport;

/// <summary>Idle timeout, slow consumers, coalesced writes and shutdown, over real loopback sockets.</summary>
[CancelAfter(60_000)]
public class LifecycleSocketTests
{
    [Test]
    public async Task Idle_ShortOption_HostWiresTheRealScheduler()
    {
        await using var server = TestServer.Start(new ChatServerOptions { IdleTimeout = TimeSpan.FromSeconds(1) });
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.EnterAsync("bob");
        await alice.ExpectAsync("bob has arrived");

        // bob keeps talking (every 200 ms) until alice, who says nothing, has been disconnected.
        var aliceHeard = Task.Run(alice.ReadToEndAsync);
        var bobHeard = new List<string>();
        using (var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(200)))
        {
            while (!aliceHeard.IsCompleted && await pace.WaitForNextTickAsync())
            {
                await bob.SendAsync("/who");
            }
        }

        await bob.SendAsync("/who");
        bobHeard.AddRange(await bob.ReadUntilAsync("Current clients: bob"));

        Assert.Multiple(async () =>
        {
            Assert.That((await aliceHeard).Last(), Is.EqualTo("Disconnected: idle"));
            Assert.That(bobHeard.Count(l => l == "alice has left"), Is.EqualTo(1));
        });
    }

    private static string Padded(int i, int size) => $"line {i} ".PadRight(size, 'x');

    /// <summary>
    /// Reads a fast receiver's lines until the sender's last, checking order on the way (lines are not kept:
    /// the test measures the server's memory in this process); completes <paramref name="chunks"/>[k] once it
    /// has read the k-th chunk, so that the sender can keep the receivers within reach of their outboxes.
    /// </summary>
    private static async Task<(int InOrder, bool SawSlowLeave)> ReadFlowAsync(LineClient client, int lines, int size, int chunk, Chunks chunks)
    {
        var next = 0;
        var sawSlowLeave = false;
        while (next < lines)
        {
            var line = await client.ReadLineAsync() ?? throw new InvalidOperationException($"end of stream after {next} lines");
            if (line == "slow has left")
            {
                sawSlowLeave = true;
            }

            if (!line.StartsWith("s: ", StringComparison.Ordinal))
            {
                continue;
            }

            if (line != $"s: {Padded(next, size)}")
            {
                throw new InvalidOperationException($"expected line {next}, got '{line[..20]}'");
            }

            if (++next % chunk == 0)
            {
                chunks.Arrive(next / chunk - 1);
            }
        }

        return (next, sawSlowLeave);
    }

    /// <summary>One countdown per chunk of lines: done when every receiver has read that chunk.</summary>
    private sealed class Chunks(int count, int receivers)
    {
        private readonly int[] _left = Enumerable.Repeat(receivers, count).ToArray();
        private readonly TaskCompletionSource[] _done = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();

        public void Arrive(int k)
        {
            if (Interlocked.Decrement(ref _left[k]) == 0)
            {
                _done[k].SetResult();
            }
        }

        public Task Done(int k) => _done[k].Task;
    }

    [TestCase(SlowClientPolicy.Drop)]
    [TestCase(SlowClientPolicy.Disconnect)]
    public async Task SlowConsumer_NeverDelaysOthers_AndIsBoundedByItsOutbox(SlowClientPolicy policy)
    {
        const int lines = 20_000, size = 500, receivers = 10, chunk = 250;
        await using var server = TestServer.Start(new ChatServerOptions { RateLimit = 0, SlowClientPolicy = policy, OutboxCapacity = 1024 });

        // The slow client: a small receive buffer, and it reads nothing until the flood is over.
        var slowSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slowSocket.ConnectAsync(server.EndPoint);
        await slowSocket.SendAsync(Encoding.ASCII.GetBytes("slow\n"));
        var others = new List<LineClient>();
        for (var r = 0; r < receivers; r++)
        {
            others.Add(await server.EnterAsync($"r{r}"));
        }

        // The sender reads its own echoes too: otherwise it would be a slow client itself.
        await using var sender = await server.EnterAsync("s");
        _ = Task.Run(sender.DrainAsync);
        var chunks = new Chunks(lines / chunk, receivers);
        var reading = others.Select(o => Task.Run(() => ReadFlowAsync(o, lines, size, chunk, chunks))).ToArray();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        // The sender stays at most two chunks ahead of the slowest fast receiver: the fast ones are fast, the
        // slow one does not read at all.
        for (var i = 0; i < lines; i++)
        {
            if (i % chunk == 0 && i >= 2 * chunk)
            {
                await chunks.Done(i / chunk - 2).WaitAsync(LineClient.Timeout);
            }

            await sender.SendAsync(Padded(i, size));
        }

        var heard = await Task.WhenAll(reading);
        var memoryGrowth = GC.GetTotalMemory(forceFullCollection: true) - memoryBefore;

        // Now the slow client reads again. Its outbox drains; the sender says "done N" (each one heard by r0
        // before the next) until a line fits in the slow client's outbox again and reaches it.
        using var slow = new StreamReader(new NetworkStream(slowSocket, ownsSocket: true));
        var received = new List<string>();
        var slowReading = Task.Run(async () =>
        {
            using var cts = new CancellationTokenSource(LineClient.Timeout * 2);
            while (await slow.ReadLineAsync(cts.Token) is { } line)
            {
                received.Add(line);
                if (line.StartsWith("s: done", StringComparison.Ordinal))
                {
                    break;
                }
            }
        });
        var dones = 0;
        while (!slowReading.IsCompleted && dones < 10_000)
        {
            await sender.SendAsync($"done {dones}");
            await others[0].ReadUntilAsync($"s: done {dones++}");
        }

        await slowReading;

        var sent = Enumerable.Range(0, lines).Select(i => $"s: {Padded(i, size)}").ToList();
        var chat = received.Where(l => l.StartsWith("s: ", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(heard.Select(h => h.InOrder), Is.All.EqualTo(lines), "every fast receiver gets every line, in order");
            Assert.That(memoryGrowth, Is.LessThan(5_000_000), "bounded by the outbox (1024 lines of 500 bytes), not by the 10 MB flood");
            chat = chat.Where(l => !l.StartsWith("s: done", StringComparison.Ordinal)).ToList();
            Assert.That(chat, Is.SubsetOf(sent));
            Assert.That(chat.Select(l => sent.IndexOf(l)), Is.Ordered);
            if (policy == SlowClientPolicy.Drop)
            {
                var notices = received.Where(l => l.EndsWith(" messages dropped)", StringComparison.Ordinal)).ToList();
                Assert.That(notices, Has.Count.EqualTo(1));
                var dropped = long.Parse(notices.Single().Split(' ')[0].TrimStart('('), System.Globalization.CultureInfo.InvariantCulture);
                var firstFit = int.Parse(received.Last()["s: done ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.That(chat.Count + 1 + dropped, Is.EqualTo(lines + firstFit + 1), "lines delivered plus dropped equals lines sent to it");
                Assert.That(received[^2], Is.EqualTo(notices.Single()), "the notice comes right before the next line that fits");
            }
            else
            {
                Assert.That(received.Where(l => l.Contains("dropped", StringComparison.Ordinal)), Is.Empty);
                Assert.That(chat, Has.Count.LessThan(lines));
                Assert.That(heard.Select(h => h.SawSlowLeave), Is.All.True, "the others hear that the slow client left");
            }
        });

        foreach (var o in others)
        {
            await o.DisposeAsync();
        }
    }

    [Test]
    public async Task SlowConsumer_ThatNeverReads_CostsTheServerAtMostItsOutboxInManagedMemory()
    {
        // A flood 40 times the bound: if lines waited anywhere unbounded on their way to the slow client (before
        // its outbox, in a batch), the managed heap would grow with the flood instead (measured with an unbounded
        // outbox: 18.5 MB against a bound of 3.2 MB).
        const int capacity = 256, size = 1000, lines = 20_000, receivers = 4, chunk = 100;
        await using var server = TestServer.Start(new ChatServerOptions { RateLimit = 0, OutboxCapacity = capacity });
        var slowSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await slowSocket.ConnectAsync(server.EndPoint);
        await slowSocket.SendAsync(Encoding.ASCII.GetBytes("slow\n"));
        var others = new List<LineClient>();
        for (var r = 0; r < receivers; r++)
        {
            others.Add(await server.EnterAsync($"r{r}"));
        }

        await using var sender = await server.EnterAsync("s");
        _ = Task.Run(sender.DrainAsync);
        var chunks = new Chunks(lines / chunk, receivers);
        var reading = others.Select(o => Task.Run(() => ReadFlowAsync(o, lines, size, chunk, chunks))).ToArray();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < lines; i++)
        {
            if (i % chunk == 0 && i >= 2 * chunk)
            {
                await chunks.Done(i / chunk - 2).WaitAsync(LineClient.Timeout);
            }

            await sender.SendAsync(Padded(i, size));
        }

        var heard = await Task.WhenAll(reading);
        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;

        // What one waiting line may cost: its bytes and the line object, plus a slot; the fast receivers are kept
        // within two chunks, and 2 MB covers the rest (buffers in flight, the runtime's own).
        const long perLine = size + 3 + 128;
        const long bound = (capacity + (receivers * 2 * chunk)) * perLine + 2_000_000;
        Assert.Multiple(() =>
        {
            Assert.That(heard.Select(h => h.InOrder), Is.All.EqualTo(lines));
            Assert.That(growth, Is.LessThan(bound), $"bounded by the outbox ({capacity} lines of {size} bytes), not by the {lines * size / 1_000_000} MB flood");
        });
        slowSocket.Dispose();
        foreach (var o in others)
        {
            await o.DisposeAsync();
        }
    }

    [Test]
    public async Task Writer_SeveralQueuedLines_GoOutInFewerWritesThanLines()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await listener.AcceptAsync();
        var connection = new SocketConnection(new ConnectionId(1), accepted, new ChatServerOptions { OutboxCapacity = 0 },
            ChatSchedulers.Time, NullLogger.Instance, CancellationToken.None);

        const int count = 2000;
        for (var i = 0; i < count; i++)
        {
            connection.Writer.OnNext(new OutgoingLine($"line {i}"));
        }

        connection.Writer.OnCompleted();
        using var reader = new StreamReader(new NetworkStream(client));
        var lines = new List<string>();
        while (await reader.ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        client.Shutdown(SocketShutdown.Send);

        await connection.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(lines, Is.EqualTo(Enumerable.Range(0, count).Select(i => $"line {i}")));
            Assert.That(connection.Writes, Is.LessThan(count / 10), "queued lines share writes");
        });
    }

    [Test]
    public async Task Shutdown_EveryConnectionGetsTheLineAfterWhatWasQueued_ThenIsClosed()
    {
        var server = TestServer.Start();
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await server.EnterAsync("bob");
        await using var lurker = await server.ConnectAsync();
        await lurker.ExpectAsync("What is your name?");
        await alice.ExpectAsync("bob has arrived");
        await alice.SendAsync("last words");
        await bob.ExpectAsync("alice: last words");

        var stopping = server.StopAsync();
        var heard = await Task.WhenAll(alice.ReadToEndAsync(), bob.ReadToEndAsync(), lurker.ReadToEndAsync());
        await stopping.WaitAsync(LineClient.Timeout);

        Assert.Multiple(() =>
        {
            Assert.That(heard[0], Is.EqualTo(new[] { "alice: last words", "Server shutting down" }));
            Assert.That(heard[1], Is.EqualTo(new[] { "Server shutting down" }), "nobody hears of anybody leaving");
            Assert.That(heard[2], Is.EqualTo(new[] { "Server shutting down" }), "connections without a name too");
        });
        await server.DisposeAsync();
    }

    [Test]
    public async Task Shutdown_StopsAccepting()
    {
        var server = TestServer.Start();
        var endPoint = server.EndPoint;
        await server.StopAsync().WaitAsync(LineClient.Timeout);

        Assert.That(async () => await LineClient.ConnectAsync(endPoint), Throws.InstanceOf<SocketException>());
        await server.DisposeAsync();
    }

    [Test]
    public async Task Shutdown_ClientThatNeverReads_IsClosedAtTheDeadline()
    {
        var server = TestServer.Start(new ChatServerOptions { ShutdownTimeout = TimeSpan.FromMilliseconds(300), RateLimit = 0 });
        var stuck = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stuck.ConnectAsync(server.EndPoint);
        await stuck.SendAsync(Encoding.ASCII.GetBytes("stuck\n"));
        await using var talker = await server.EnterAsync("talker");
        // The talker reads its own echo every 500 lines, so that it never becomes a slow consumer itself.
        for (var i = 0; i < 2000; i++)
        {
            await talker.SendAsync(Padded(i, 500));
            if (i % 500 == 499)
            {
                await talker.ReadUntilAsync($"talker: {Padded(i, 500)}");
            }
        }

        Assert.That(async () => await server.StopAsync().WaitAsync(LineClient.Timeout), Throws.Nothing, "a client that never reads cannot hold up shutdown past its timeout");
        stuck.Dispose();
        await server.DisposeAsync();
    }
}
