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
}
