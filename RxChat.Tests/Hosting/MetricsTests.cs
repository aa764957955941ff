using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Hosting;

/// <summary>The RxChat meter, read with a <see cref="MeterListener"/>, and what the logs say (and keep private).</summary>
[CancelAfter(30_000)]
public class MetricsTests
{
    [Test]
    public async Task Meter_ConnectChatLeave_EveryInstrumentCounts()
    {
        var values = new ConcurrentDictionary<string, long>();
        await using var server = TestServer.Start();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == server.Metrics.Meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var reason = tags.ToArray().Where(t => t.Key == "reason").Select(t => $"[{t.Value}]").FirstOrDefault() ?? "";
            values.AddOrUpdate(instrument.Name + reason, value, (_, old) => old + value);
        });
        listener.Start();

        var alice = await server.EnterAsync("alice");
        var bob = await server.EnterAsync("bob");
        await alice.ExpectAsync("bob has arrived");
        var atPeak = (values.GetValueOrDefault("rxchat.connections"), values.GetValueOrDefault("rxchat.clients"));
        await alice.SendAsync("one");
        await alice.SendAsync("two");
        await bob.ReadUntilAsync("alice: two");
        await alice.ReadUntilAsync("alice: two");
        await bob.SendAsync("/quit");
        await alice.ExpectAsync("bob has left");
        alice.ShutdownSend();
        await alice.ReadToEndAsync();
        await server.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(atPeak, Is.EqualTo((2L, 2L)), "connected, and named");
            Assert.That(values.GetValueOrDefault("rxchat.connections"), Is.Zero);
            Assert.That(values.GetValueOrDefault("rxchat.clients"), Is.Zero);
            Assert.That(values.GetValueOrDefault("rxchat.connections.accepted"), Is.EqualTo(2));
            Assert.That(values.GetValueOrDefault("rxchat.lines.received"), Is.EqualTo(5), "two names, two lines, /quit");
            // alice: prompt, You are, Current clients, bob has arrived, two lines, bob has left = 7; bob: prompt,
            // You are, Current clients, two lines = 5.
            Assert.That(values.GetValueOrDefault("rxchat.lines.delivered"), Is.EqualTo(12));
            Assert.That(values.GetValueOrDefault("rxchat.disconnects[Quit]"), Is.EqualTo(1));
            Assert.That(values.GetValueOrDefault("rxchat.disconnects[EndOfStream]"), Is.EqualTo(1));
        });
        await alice.DisposeAsync();
        await bob.DisposeAsync();
    }

    [Test]
    public async Task Meter_SlowClient_CountsDroppedLines()
    {
        long dropped = 0;
        await using var server = TestServer.Start(new ChatServerOptions { OutboxCapacity = 2, RateLimit = 0, ShutdownTimeout = TimeSpan.FromMilliseconds(200) });
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == server.Metrics.Meter && instrument.Name == "rxchat.lines.dropped")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref dropped, value));
        listener.Start();
        var stuck = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = 1024 };
        await stuck.ConnectAsync(server.EndPoint);
        await stuck.SendAsync("stuck\n"u8.ToArray());
        await using var talker = await server.EnterAsync("talker");
        var said = server.Events.OfType<RxChat.Core.MessageSent>().FirstAsync(m => m.Text.StartsWith("2999 ", StringComparison.Ordinal)).ToTask();

        // 6 MB for two clients that do not read: more than the kernel's buffers hold, past the outbox of 2.
        for (var i = 0; i < 3000; i++)
        {
            await talker.SendAsync($"{i} {new string('x', 2000)}");
        }

        await said;
        await server.StopAsync(); // every writer has taken every line by then
        stuck.Dispose();

        Assert.That(Interlocked.Read(ref dropped), Is.GreaterThan(0));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Logs_TellArrivalsAndDeparturesWithReason_ChatTextOnlyWhenAsked(bool logMessages)
    {
        var logs = new RecordingLogger(LogLevel.Information);
        using (var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information)))
        {
            await using var server = TestServer.Start(new ChatServerOptions { LogMessages = logMessages }, factory);
            await using var alice = await server.EnterAsync("alice");
            await alice.SendAsync("a secret");
            await alice.ExpectAsync("alice: a secret");
            await alice.SendAsync("/quit");
            await alice.ReadToEndAsync();
            await server.StopAsync();
        }

        var messages = logs.Entries.Select(e => e.Message).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(messages, Has.Some.Contains("alice").And.Contains("arrived"));
            Assert.That(messages, Has.Some.Contains("alice").And.Contains("Quit"));
            Assert.That(messages.Any(m => m.Contains("a secret", StringComparison.Ordinal)), Is.EqualTo(logMessages));
        });
    }

    [Test]
    public void Docs_OperationsMetricsTable_ListsEveryInstrumentWithItsKindAndUnit()
    {
        // Every instrument of the meter, the room's gauges included (a room on Redis creates them).
        using var metrics = new ChatMetrics();
        metrics.WatchRoom(() => 0, () => 0, () => 0, () => 0);
        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter == metrics.Meter)
                {
                    instruments.Add(instrument);
                }
            },
        };
        listener.Start();
        var docs = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "operations.md"));

        Assert.That(instruments.Select(i => i.Name), Does.Contain("rxchat.room.failovers").And.Contain("rxchat.room.lobby"), "staging: every instrument published");
        Assert.Multiple(() =>
        {
            foreach (var instrument in instruments)
            {
                var kind = instrument.GetType().GetGenericTypeDefinition().Name switch
                {
                    "Counter`1" => "counter",
                    "UpDownCounter`1" => "up-down counter",
                    _ when instrument.IsObservable => "gauge",
                    var other => other,
                };
                Assert.That(docs, Has.One.StartsWith($"| `{instrument.Name}` | {kind} | `{instrument.Unit}` | "), $"{instrument.Name}: a row of docs/operations.md's Metrics with its kind, unit and meaning");
            }
        });
    }

    // The repository's root: the folder above the test's output that holds docs/.
    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "docs", "operations.md")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("no docs/operations.md above the test's folder");
    }

    [Test]
    [Category(Needs.Redis)]
    [CancelAfter(60_000)]
    public async Task Meter_RoomOnRedis_CountsAppendsAndShowsNodesAndLag()
    {
        await using var redis = await RedisServer.StartAsync();
        var options = new ChatServerOptions { Host = "127.0.0.1", Port = 0, Redis = redis.Configuration, Room = "metrics", NodeTimeout = TimeSpan.FromSeconds(1) };
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = ChatServer.Start(options, events: System.Reactive.Observer.Create<ServerEvent>(e =>
        {
            if (e is NodeJoined)
            {
                joined.TrySetResult();
            }
        }));
        var values = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == server.Metrics.Meter && instrument.Name.StartsWith("rxchat.room.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => values.AddOrUpdate(instrument.Name, value, (_, old) => instrument.Name.EndsWith("appended", StringComparison.Ordinal) ? old + value : value));
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        await joined.Task.WaitAsync(LineClient.Timeout);

        await using var alice = await server.EnterAsync("alice");
        await alice.SendAsync("counted");
        await alice.ExpectAsync("alice: counted");
        listener.RecordObservableInstruments();

        Assert.Multiple(() =>
        {
            Assert.That(values.GetValueOrDefault("rxchat.room.entries.appended"), Is.GreaterThanOrEqualTo(3), "arrival, name, line");
            Assert.That(values.GetValueOrDefault("rxchat.room.nodes"), Is.EqualTo(1));
            Assert.That(values.GetValueOrDefault("rxchat.room.lag", -1), Is.GreaterThanOrEqualTo(0));
        });
    }
}
