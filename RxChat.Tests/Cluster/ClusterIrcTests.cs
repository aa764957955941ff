using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// The IRC door on a room across nodes (PROTOCOL.md, Doors: whatever door a client came through, it is a client of
/// the one room, across nodes as well): IRC and line clients on two node processes and a real redis-server.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public class ClusterIrcTests
{
    [Test]
    public async Task IrcAndLineClients_OnTwoNodes_ChatInOneOrder()
    {
        const int lines = 100;
        await using var room = await Support.Cluster.StartAsync(nodes: 2, extra: ["--irc-port", "0", "--irc-server-name", "irc.test"]);
        var irc0 = await room[0].ListeningIrcAsync(TimeSpan.FromSeconds(10));
        var irc1 = await room[1].ListeningIrcAsync(TimeSpan.FromSeconds(10));
        await using var alice = await IrcClient.RegisterAsync(irc0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ReadCommandAsync("JOIN");
        await using var carol = await IrcClient.RegisterAsync(irc1, "carol");
        await using var dave = await room.EnterAsync(0, "dave");
        await bob.ExpectAsync("carol has arrived");
        await bob.ExpectAsync("dave has arrived");
        await alice.ReadCommandAsync("JOIN");
        await alice.ReadCommandAsync("JOIN");
        await carol.ReadCommandAsync("JOIN");

        // alice (IRC, node 0) and bob (line, node 1) send at once; carol (IRC, node 1) and dave (line, node 0) listen.
        var sending = Task.WhenAll(
            Task.Run(async () => { for (var i = 0; i < lines; i++) { await bob.SendAsync($"b{i}"); } }),
            Task.Run(async () => { for (var i = 0; i < lines; i++) { await alice.SendAsync($"PRIVMSG #rxchat :a{i}"); } }));
        var daveSaw = Read(() => dave.ReadLineAsync(), 2 * lines, l => l);
        var carolSaw = Read(() => carol.ReadLineAsync(), 2 * lines, l => $"{l[1..l.IndexOf('!', StringComparison.Ordinal)]}: {IrcClient.Trailing(l)}");
        await sending;
        var (carolOrder, daveOrder) = (await carolSaw, await daveSaw);
        await carol.SendAsync("NAMES #rxchat");
        var names = await carol.ReadCommandAsync("353");
        await alice.SendAsync("WHO carol");
        var who = await alice.ReadCommandAsync("352");

        Assert.Multiple(() =>
        {
            Assert.That(carolOrder, Is.EqualTo(daveOrder), "one order across nodes and doors");
            Assert.That(daveOrder.Count(l => l.StartsWith("alice: ", StringComparison.Ordinal)), Is.EqualTo(lines));
            Assert.That(names, Is.EqualTo(":irc.test 353 carol = #rxchat :alice bob carol dave"));
            Assert.That(who, Is.EqualTo(":irc.test 352 alice * ~carol 127.0.0.1 irc.test carol H :0 IRC user"), "another node's IRC client, as this node's");
        });
    }

    private static async Task<List<string>> Read(Func<Task<string?>> read, int count, Func<string, string> normal)
    {
        var seen = new List<string>();
        while (seen.Count < count)
        {
            seen.Add(normal(await read() ?? throw new InvalidOperationException("end of stream")));
        }

        return seen;
    }
}
