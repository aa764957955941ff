using NUnit.Framework;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Transport;

/// <summary>PROTOCOL.md, Commands, from plain TCP clients.</summary>
[CancelAfter(30_000)]
public class CommandSocketTests
{
    /// <summary>A server with alice and bob entered (alice has heard bob arrive); disposing it disposes all three.</summary>
    private sealed record Room(ChatServer Server, LineClient Alice, LineClient Bob) : IAsyncDisposable
    {
        public static async Task<Room> EnterAsync()
        {
            var server = TestServer.Start();
            var alice = await server.EnterAsync("alice");
            var bob = await server.EnterAsync("bob");
            await alice.ExpectAsync("bob has arrived");
            return new Room(server, alice, bob);
        }

        public async ValueTask DisposeAsync()
        {
            await Alice.DisposeAsync();
            await Bob.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    [Test]
    public async Task Who_OverSocket_ListsClients()
    {
        await using var room = await Room.EnterAsync();
        var (server, alice, bob) = (room.Server, room.Alice, room.Bob);
        await alice.SendAsync("/who");

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo("Current clients: alice, bob"));
    }

    [Test]
    public async Task History_OverSocket_AfterMoreLinesThanItShows_AnswersTheLastN()
    {
        await using var server = TestServer.Start(new() { RateLimit = 0 });
        await using var alice = await server.EnterAsync("alice");
        for (var i = 1; i <= 150; i++)
        {
            await alice.SendAsync($"line {i}");
        }

        await alice.SendAsync("/history 100");
        await alice.ReadUntilAsync("History: 100 lines");
        var answer = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            answer.Add((await alice.ReadLineAsync())!);
        }

        await alice.SendAsync("/history");
        await alice.ExpectAsync("History: 20 lines");

        Assert.That(answer.Select(l => l[(l.IndexOf(']') + 2)..]), Is.EqualTo(Enumerable.Range(51, 100).Select(i => $"alice: line {i}")));
        Assert.That(answer, Has.All.Match(@"^\[\d\d:\d\d:\d\d\] alice: line \d+$"));
    }

    [Test]
    public async Task Nick_OverSocket_RenamesForEveryone()
    {
        await using var room = await Room.EnterAsync();
        var (server, alice, bob) = (room.Server, room.Alice, room.Bob);
        await alice.SendAsync("/nick Ally");
        var seenByBob = await bob.ReadLineAsync();
        await bob.SendAsync("/nick ALLY");

        Assert.Multiple(async () =>
        {
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("alice is now known as Ally"));
            Assert.That(seenByBob, Is.EqualTo("alice is now known as Ally"));
            Assert.That(await bob.ReadLineAsync(), Does.StartWith("error: ").And.Contains("taken"));
        });
    }

    [Test]
    public async Task Me_OverSocket_IsBroadcast()
    {
        await using var room = await Room.EnterAsync();
        var (server, alice, bob) = (room.Server, room.Alice, room.Bob);
        await bob.SendAsync("/me waves");

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo("* bob waves"));
    }

    [Test]
    public async Task Msg_OverSocket_IsPrivate()
    {
        await using var room = await Room.EnterAsync();
        var (server, alice, bob) = (room.Server, room.Alice, room.Bob);
        await using var carol = await server.EnterAsync("carol");
        await carol.SendAsync("/msg alice psst");
        await carol.SendAsync("public");

        Assert.Multiple(async () =>
        {
            Assert.That(await carol.ReadLineAsync(), Is.EqualTo("-> alice: psst"));
            Assert.That(await alice.ReadUntilAsync("carol: public"), Is.EqualTo(new[] { "carol has arrived", "carol (private): psst" }));
            Assert.That(await bob.ReadUntilAsync("carol: public"), Is.EqualTo(new[] { "carol has arrived" }));
        });
    }

    [Test]
    public async Task Quit_OverSocket_ClosesAndAnnounces()
    {
        await using var room = await Room.EnterAsync();
        var (server, alice, bob) = (room.Server, room.Alice, room.Bob);
        await bob.SendAsync("/quit");

        Assert.Multiple(async () =>
        {
            Assert.That(await bob.ReadToEndAsync(), Is.Empty);
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("bob has left"));
        });
    }

    [Test]
    public async Task Help_OverSocket_ListsSevenCommands()
    {
        await using var room = await Room.EnterAsync();
        var (server, alice, bob) = (room.Server, room.Alice, room.Bob);
        await alice.SendAsync("/HELP");
        var help = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            help.Add((await alice.ReadLineAsync())!);
        }

        Assert.That(help.Select(h => h.Split(' ')[0]), Is.EqualTo(new[] { "/who", "/nick", "/me", "/msg", "/quit", "/history", "/help" }));
    }

    [Test]
    public async Task UnknownCommand_And_DoubleSlash_OverSocket()
    {
        await using var room = await Room.EnterAsync();
        var (server, alice, bob) = (room.Server, room.Alice, room.Bob);
        await alice.SendAsync("/dance");
        await alice.SendAsync("//dance");

        Assert.Multiple(async () =>
        {
            Assert.That(await alice.ReadLineAsync(), Does.StartWith("error: unknown command"));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("alice: /dance"));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("alice: /dance"));
        });
    }
}
