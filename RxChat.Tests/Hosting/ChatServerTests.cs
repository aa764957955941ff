using System.Reactive.Linq;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Hosting;

/// <summary>The embedding facade: bots in process, events from the first connection, stop.</summary>
[CancelAfter(30_000)]
public class ChatServerTests
{
    [Test]
    public async Task Converse_BotThatAnswersWhatItHears_MissesNothingAndAnswersATcpClient()
    {
        await using var server = TestServer.Start();
        var botHeard = new List<string>();
        using var bot = server.Connect(heard => heard
                .Where(line => line.EndsWith(": !ping", StringComparison.Ordinal))
                .Select(_ => "pong")
                .StartWith("bot"))
            .Subscribe(botHeard.Add);
        await using var alice = await server.EnterAsync("alice");

        await alice.SendAsync("!ping");

        Assert.That(await alice.ReadUntilAsync("bot: pong"), Is.EqualTo(new[] { "alice: !ping" }));
        Assert.That(botHeard.Take(3), Is.EqualTo(new[] { "What is your name?", "You are bot", "Current clients: bot" }));
    }

    [Test]
    public async Task Start_WithEventsObserver_SeesTheFirstConnection()
    {
        var scheduler = new TestScheduler();
        var events = scheduler.CreateObserver<ServerEvent>();
        var server = ChatServer.Start(new ChatServerOptions { Host = "127.0.0.1", Port = 0 }, events: events);
        await using (var client = await server.ConnectAsync())
        {
            await client.ExpectAsync("What is your name?");
        }

        await server.DisposeAsync();

        Assert.Multiple(() =>
        {
            Assert.That(events.Messages.First().Value.Value, Is.InstanceOf<ConnectionOpened>());
            Assert.That(events.Messages.Last().Value.Kind, Is.EqualTo(System.Reactive.NotificationKind.OnCompleted), "StopAsync returns after Events completes");
        });
    }

    [TestCase(SlowClientPolicy.Drop)]
    [TestCase(SlowClientPolicy.Disconnect)]
    public async Task Connect_BotThatStopsReading_IsBoundedByItsOutboxLikeATcpClient(SlowClientPolicy policy)
    {
        const int capacity = 8, flood = 58;
        await using var server = TestServer.Start(new ChatServerOptions { RateLimit = 0, OutboxCapacity = capacity, SlowClientPolicy = policy });
        using var release = new ManualResetEventSlim();
        var heard = new List<string>();
        var waiters = new Dictionary<string, TaskCompletionSource>();
        Task Heard(string line)
        {
            lock (heard)
            {
                return heard.Contains(line) ? Task.CompletedTask : (waiters[line] = new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }

        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var bot = server.Connect(Observable.Return("bot").Concat(Observable.Never<string>())).Subscribe(
            line =>
            {
                lock (heard)
                {
                    heard.Add(line);
                    waiters.GetValueOrDefault(line)?.TrySetResult();
                }

                // The bot stops reading at alice's first line, until the test releases it.
                if (line == "alice: 0")
                {
                    release.Wait(LineClient.Timeout);
                }
            },
            () => ended.TrySetResult());
        await using var alice = await server.EnterAsync("alice");
        var watcherArrived = Heard("watcher has arrived");
        await using var watcher = await server.EnterAsync("watcher");
        await alice.ExpectAsync("watcher has arrived");
        await watcherArrived.WaitAsync(LineClient.Timeout);

        // The bot's outbox is empty: alice's first 8 lines fill it while the bot is stuck on the first, the other
        // 50 do not fit. alice and the watcher keep reading, so that only the bot falls behind.
        var watching = Task.Run(() => watcher.ReadUntilAsync("alice: after"));
        for (var i = 0; i < flood; i++)
        {
            await alice.SendAsync($"{i}");
            await alice.ReadUntilAsync($"alice: {i}");
        }

        var drained = Heard($"alice: {capacity - 1}");
        release.Set();
        if (policy == SlowClientPolicy.Drop)
        {
            await drained.WaitAsync(LineClient.Timeout);
        }

        await alice.SendAsync("after");
        await alice.ReadUntilAsync("alice: after");
        var watcherHeard = await watching;

        if (policy == SlowClientPolicy.Drop)
        {
            await Heard("alice: after").WaitAsync(LineClient.Timeout);
            lock (heard)
            {
                Assert.That(heard.SkipWhile(l => l != "alice: 0"), Is.EqualTo(
                    Enumerable.Range(0, capacity).Select(i => $"alice: {i}").Append($"({flood - capacity} messages dropped)").Append("alice: after")));
            }
        }
        else
        {
            await ended.Task.WaitAsync(LineClient.Timeout);

            // The bot's departure is decided when its outbox overflows, but announced once its writer (stuck in the
            // bot until the release) lets go: before or after "after", in no fixed order.
            if (!watcherHeard.Contains("bot has left"))
            {
                await watcher.ReadUntilAsync("bot has left");
                watcherHeard.Add("bot has left");
            }

            Assert.Multiple(() =>
            {
                Assert.That(watcherHeard, Does.Contain("bot has left"), "a slow consumer under the disconnect policy leaves");
                Assert.That(heard, Has.None.Contains("messages dropped"));
                Assert.That(heard, Has.None.EqualTo("alice: after"));
            });
        }
    }
}
