using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Transport;

/// <summary>Randomised abuse next to a polite conversation: nobody polite loses a line.</summary>
[CancelAfter(90_000)]
public class AbuseTests
{
    [Test]
    public async Task RandomAbuse_FiftyConnections_PoliteClientsGetEveryLineInOrder()
    {
        const int polite = 5, abusers = 50, linesEach = 30;
        var seed = Environment.TickCount;
        TestContext.Out.WriteLine($"seed {seed}");
        var logs = new RecordingLogger();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        // Unbounded outboxes: this test is about hostile input, and a polite reader starved of CPU by 50 abusers in
        // this same process would otherwise be a slow consumer and lose lines by design (LifecycleSocketTests).
        await using var server = TestServer.Start(new ChatServerOptions { MaxLineLength = 512, OutboxCapacity = 0 }, factory);
        var clients = new List<LineClient>();
        for (var p = 0; p < polite; p++)
        {
            clients.Add(await server.EnterAsync($"w{p}"));
        }

        using var stop = new CancellationTokenSource();
        var abuse = Enumerable.Range(0, abusers).Select(a => Task.Run(() => AbuseAsync(server.EndPoint, new Random(seed + a), stop.Token))).ToArray();

        // Each polite client reads until it has every line of every polite client, the last marked "end".
        var reading = clients.Select(c => Task.Run(async () =>
        {
            var heard = Enumerable.Range(0, polite).ToDictionary(p => p, _ => new List<string>());
            var ended = 0;
            while (ended < polite && await c.ReadLineAsync() is { } line)
            {
                if (line.EndsWith("messages dropped)", StringComparison.Ordinal) || line.StartsWith("Disconnected", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"polite client lost lines: {line}; heard {string.Join(",", heard.Select(h => h.Value.Count))}");
                }

                if (line.Length > 3 && line[0] == 'w' && line[2] == ':' && line[1] >= '0' && line[1] < '0' + polite)
                {
                    heard[line[1] - '0'].Add(line[4..]);
                    ended += line.EndsWith("end", StringComparison.Ordinal) ? 1 : 0;
                }
            }

            return heard;
        })).ToArray();

        // The polite clients talk at 10 lines a second each, inside the default rate limit.
        await Task.WhenAll(clients.Select((c, p) => Task.Run(async () =>
        {
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            for (var i = 0; i < linesEach; i++)
            {
                await pace.WaitForNextTickAsync();
                await c.SendAsync(i == linesEach - 1 ? $"{i} end" : $"{i}");
            }
        })));
        var results = await Task.WhenAll(reading);
        await stop.CancelAsync();
        var abusiveConnections = (await Task.WhenAll(abuse)).Sum();

        var expected = Enumerable.Range(0, linesEach).Select(i => i == linesEach - 1 ? $"{i} end" : $"{i}").ToList();
        Assert.Multiple(() =>
        {
            foreach (var heard in results)
            {
                for (var p = 0; p < polite; p++)
                {
                    Assert.That(heard[p], Is.EqualTo(expected), $"w{p}'s lines, seed {seed}");
                }
            }

            Assert.That(logs.Entries.Where(e => e.Exception is not null).Select(e => e.Exception!.ToString()), Is.Empty, $"seed {seed}");
            Assert.That(abusiveConnections, Is.GreaterThan(abusers), "the abuse happened");
        });

        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    private static async Task<int> AbuseAsync(System.Net.IPEndPoint endPoint, Random random, CancellationToken stop)
    {
        var connections = 0;
        // Paced at 50 writes a second per abuser: hostile, but not a CPU hog that starves the test's own readers
        // (a polite client that cannot read in time is a slow consumer, and would rightly lose lines).
        var watch = Stopwatch.StartNew();
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!stop.IsCancellationRequested && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endPoint, stop);
                connections++;
                var rounds = random.Next(1, 20);
                for (var r = 0; r < rounds && !stop.IsCancellationRequested; r++)
                {
                    var bytes = new byte[random.Next(1, random.Next(2) == 0 ? 64 : 4000)];
                    random.NextBytes(bytes);
                    if (random.Next(3) == 0)
                    {
                        bytes[^1] = (byte)'\n';
                    }

                    await pace.WaitForNextTickAsync(stop);
                    await socket.SendAsync(bytes, SocketFlags.None, stop);
                    if (random.Next(4) == 0 && socket.Available > 0)
                    {
                        await socket.ReceiveAsync(new byte[socket.Available], SocketFlags.None, stop);
                    }
                }

                switch (random.Next(3))
                {
                    case 0:
                        socket.LingerState = new LingerOption(true, 0); // reset
                        break;
                    case 1:
                        socket.Shutdown(SocketShutdown.Send);
                        break;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server closed us (server full, say) or the test is over.
            }
        }

        return connections;
    }
}
