using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// One room on three node processes and a real redis-server, over real sockets (PROTOCOL.md, Rooms across nodes):
/// clients on different nodes chat as if on one server.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public class ClusterChatTests
{
    [Test]
    public async Task ChatAndArrivals_AcrossNodes_AsOnOneServer()
    {
        await using var room = await Support.Cluster.StartAsync();
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ExpectAsync("bob has arrived");
        await using var carol = await room.EnterAsync(2, "carol");
        await alice.ExpectAsync("carol has arrived");
        await bob.ExpectAsync("carol has arrived");

        await carol.SendAsync("hello from node 2");

        Assert.Multiple(async () =>
        {
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("carol: hello from node 2"));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("carol: hello from node 2"));
            Assert.That(await carol.ReadLineAsync(), Is.EqualTo("carol: hello from node 2"));
        });
    }

    [Test]
    public async Task NodePrintsListening_OnceItServesTheRoom_SoANewcomerConnectingThenIsServed()
    {
        // PROTOCOL.md, Server options: the server prints 'listening on HOST:PORT' once it accepts; harnesses connect
        // then. A node that printed it before joining its room turned that first connection away.
        await using var redis = await RedisServer.StartAsync();
        await using var node = await HostProcess.StartAsync(["--port", "0", "--redis", redis.Configuration, "--room", "ready", "--idle-timeout", "0"]);
        await using var first = await LineClient.ConnectAsync(node.EndPoint);

        Assert.Multiple(async () =>
        {
            Assert.That(await first.ReadLineAsync(), Is.EqualTo("What is your name?"));
            Assert.That(node.EventCount(RoomLog.JoinedEvent), Is.EqualTo(1), "joined before it printed the line");
        });
    }

    [Test]
    public async Task NodeStartedWhileRedisIsAway_RefusesConnectionsUntilItServes_ThenPromptsAtOnce()
    {
        // PROTOCOL.md v1.2, ready means ready: a node opens its door only once it has joined the room, so a health check
        // that connects to the port never sends a user to a node that cannot serve.
        await using var redis = await RedisServer.StartAsync();
        await redis.KillAsync();
        var port = FreePort();
        await using var node = await HostProcess.StartAsync(
            ["--port", $"{port}", "--redis", redis.Configuration, "--room", "ready", "--idle-timeout", "0"], waitForListening: false);
        await node.WaitForEventAsync(RoomLog.JoinFailedEvent, TimeSpan.FromSeconds(30));
        var refused = await RefusedAsync(port);
        await redis.RestartAsync();
        await using var first = await LineClient.ConnectAsync(await node.ListeningAsync(TimeSpan.FromSeconds(30)));

        Assert.Multiple(async () =>
        {
            Assert.That(refused, Is.True, "the port refused connections while the node could not serve");
            Assert.That(await first.ReadLineAsync(), Is.EqualTo("What is your name?"));
        });
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task<bool> RefusedAsync(int port)
    {
        try
        {
            await using var client = await LineClient.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
            return false;
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    [Test]
    public async Task SendersOnEveryNodeAtOnce_EveryClientSeesTheSameSequence()
    {
        const int lines = 200;
        await using var room = await Support.Cluster.StartAsync();
        var clients = new List<LineClient>();
        for (var node = 0; node < 3; node++)
        {
            clients.Add(await room.EnterAsync(node, $"s{node}"));
        }

        // Each client hears the later arrivals first; then all three talk at once.
        await clients[0].ExpectAsync("s1 has arrived");
        await clients[0].ExpectAsync("s2 has arrived");
        await clients[1].ExpectAsync("s2 has arrived");
        var reading = clients.Select(c => Task.Run(async () =>
        {
            var seen = new List<string>();
            while (seen.Count < 3 * lines)
            {
                var line = await c.ReadLineAsync() ?? throw new InvalidOperationException("end of stream");
                seen.Add(line);
            }

            return seen;
        })).ToArray();
        await Task.WhenAll(clients.Select((c, i) => Task.Run(async () =>
        {
            for (var n = 0; n < lines; n++)
            {
                await c.SendAsync($"{i}.{n}");
            }
        })));
        var heard = await Task.WhenAll(reading);

        Assert.Multiple(() =>
        {
            Assert.That(heard[1], Is.EqualTo(heard[0]), "node 1 sees node 0's order");
            Assert.That(heard[2], Is.EqualTo(heard[0]), "node 2 sees node 0's order");
            for (var i = 0; i < 3; i++)
            {
                Assert.That(heard[0].Where(l => l.StartsWith($"s{i}: ", StringComparison.Ordinal)), Is.EqualTo(Enumerable.Range(0, lines).Select(n => $"s{i}: {i}.{n}")),
                    "each sender's lines once, in its order");
            }
        });
        foreach (var c in clients)
        {
            await c.DisposeAsync();
        }
    }

    [Test]
    public async Task SameNameClaimedAtOnceOnTwoNodes_OneWinner_OverManyTries()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 2);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            await using var a = await LineClient.ConnectAsync(room[0].EndPoint);
            await using var b = await LineClient.ConnectAsync(room[1].EndPoint);
            await a.ExpectAsync("What is your name?");
            await b.ExpectAsync("What is your name?");
            var name = $"twin{attempt}";
            await Task.WhenAll(a.SendAsync(name), b.SendAsync(attempt % 2 == 0 ? name : name.ToUpperInvariant()));
            var answers = await Task.WhenAll(a.ReadLineAsync(), b.ReadLineAsync());

            Assert.That(answers.Count(l => l!.StartsWith("You are ", StringComparison.Ordinal)), Is.EqualTo(1), $"attempt {attempt}: {string.Join(" | ", answers)}");
            Assert.That(answers.Count(l => l!.StartsWith("error: name ", StringComparison.Ordinal) && l.EndsWith(" is taken", StringComparison.Ordinal)), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task WhoMsgAndNick_AcrossNodes()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 2);
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ExpectAsync("bob has arrived");

        await alice.SendAsync("/msg BOB hello across");
        var echo = await alice.ReadLineAsync();
        var whisper = await bob.ReadLineAsync();
        await bob.SendAsync("/nick robert");
        var renamedForBob = await bob.ReadLineAsync();
        var renamedForAlice = await alice.ReadLineAsync();
        await alice.SendAsync("/who");

        Assert.Multiple(async () =>
        {
            Assert.That(echo, Is.EqualTo("-> bob: hello across"));
            Assert.That(whisper, Is.EqualTo("alice (private): hello across"));
            Assert.That(renamedForBob, Is.EqualTo("bob is now known as robert"));
            Assert.That(renamedForAlice, Is.EqualTo("bob is now known as robert"));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("Current clients: alice, robert"));
        });
    }

    [Test]
    public async Task History_SameOnEveryNode()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 2);
        await using var alice = await room.EnterAsync(0, "alice");
        await alice.SendAsync("first");
        await alice.SendAsync("/me second");
        await alice.ReadUntilAsync("* alice second");
        await using var bob = await room.EnterAsync(1, "bob");

        await bob.SendAsync("/history 5");
        var history = new List<string> { (await bob.ReadLineAsync())! };
        history.Add((await bob.ReadLineAsync())!);
        history.Add((await bob.ReadLineAsync())!);

        Assert.Multiple(() =>
        {
            Assert.That(history[0], Is.EqualTo("History: 2 lines"));
            Assert.That(history[1], Does.Match(@"^\[\d\d:\d\d:\d\d\] alice: first$"));
            Assert.That(history[2], Does.Match(@"^\[\d\d:\d\d:\d\d\] \* alice second$"));
        });
    }

    [Test]
    public async Task TwoRoomsOnOneRedis_NeverSeeEachOther()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 1, room: "red");
        var other = await room.AddNodeAsync(room: "blue");
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(other, "alice");

        await bob.SendAsync("only in blue");
        await alice.SendAsync("only in red");

        Assert.Multiple(async () =>
        {
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("alice: only in blue"), "the same name in another room");
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("alice: only in red"));
        });
    }

    [Test]
    public async Task NodeJoiningALongRunningRoom_StartsFromTheSnapshot_WithTheSameRoom()
    {
        const int lines = 2_100;
        await using var room = await Support.Cluster.StartAsync(nodes: 1);
        await using var alice = await room.EnterAsync(0, "alice");
        for (var i = 0; i < lines; i++)
        {
            await alice.SendAsync($"line {i}");
        }

        await alice.ReadUntilAsync($"alice: line {lines - 1}");
        var snapshot = (long)await room.Redis.ExecuteAsync("HGET", "{test}:snapshot", "seq");
        var joined = await room.AddNodeAsync();
        await using var bob = await room.EnterAsync(joined, "bob");
        await bob.SendAsync("/history 2");

        Assert.Multiple(async () =>
        {
            Assert.That(snapshot, Is.EqualTo(2000), "a snapshot every 1,000 entries");
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("History: 2 lines"));
            Assert.That(await bob.ReadLineAsync(), Does.EndWith($"] alice: line {lines - 2}"));
            Assert.That(await bob.ReadLineAsync(), Does.EndWith($"] alice: line {lines - 1}"));
        });
        await bob.SendAsync("/who");
        Assert.That(await bob.ReadLineAsync(), Is.EqualTo("Current clients: alice, bob"));
    }
}
