using System.Net;
using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// The web door of nodes of one room on a real redis-server (PROTOCOL.md, Doors and Rooms across nodes): a browser's
/// WebSocket on one node and a netcat user on another chat as on one server, and so do two pages in a real headless
/// browser, each on its own node; a node's <c>/healthz</c> says 503 until
/// it serves the room, which a load balancer's readiness check relies on.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public class ClusterWebTests
{
    [Test]
    public async Task WebClientOnOneNode_ChatsWithLineClientsOnTheOthers()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 2, extra: ["--http-port", "0"]);
        var web = await room[0].ListeningHttpAsync(TimeSpan.FromSeconds(10));
        await using var carol = await WebSocketClient.EnterAsync(new Uri($"ws://{web.Authority}/ws"), "carol");
        await using var bob = await room.EnterAsync(1, "bob");
        await carol.ExpectAsync("bob has arrived");
        await using var dave = await room.EnterAsync(0, "dave");
        await carol.ExpectAsync("dave has arrived");
        await bob.ExpectAsync("dave has arrived");

        await carol.SendAsync("hello from the browser");
        await bob.ExpectAsync("carol: hello from the browser");
        await bob.SendAsync("hello from nc");
        var carolHeard = await carol.ReadLinesAsync(2);
        await carol.SendAsync("/who");

        Assert.Multiple(async () =>
        {
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("bob: hello from nc"));
            Assert.That(await dave.ReadLinesAsync(2), Is.EqualTo(new[] { "carol: hello from the browser", "bob: hello from nc" }));
            Assert.That(carolHeard, Is.EqualTo(new[] { "carol: hello from the browser", "bob: hello from nc" }));
            Assert.That(await carol.ReadLineAsync(), Is.EqualTo("Current clients: carol, bob, dave"), "/who lists every node's clients");
        });
    }

    [Test]
    [Category(Needs.Browser)]
    public async Task TwoPagesOnTwoNodesAndALineClient_ChatInOneRoom()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 2, extra: ["--http-port", "0"]);
        var webA = await room[0].ListeningHttpAsync(TimeSpan.FromSeconds(10));
        var webB = await room[1].ListeningHttpAsync(TimeSpan.FromSeconds(10));
        using var browser = Browser.Start();
        var ann = browser.Open(new Uri($"http://{webA.Authority}/"));
        browser.WaitFor("What is your name?");
        browser.Say("ann");
        browser.WaitFor("Current clients: ann");
        var ben = browser.OpenWindow(new Uri($"http://{webB.Authority}/"));
        browser.WaitFor("What is your name?");
        browser.Say("ben");
        browser.WaitFor("Current clients: ann, ben");
        await using var cy = await room.EnterAsync(1, "cy");

        browser.In(ann).WaitFor("cy has arrived");
        browser.Say("hello from node A's page");
        await cy.ExpectAsync("ann: hello from node A's page");
        await cy.SendAsync("hi from nc on node B");
        browser.In(ben).WaitFor("cy: hi from nc on node B");
        browser.Say("/who");
        var benSaw = browser.WaitFor("Current clients: ann, ben, cy");
        var annSaw = browser.In(ann).WaitFor("cy: hi from nc on node B");

        Assert.Multiple(() =>
        {
            Assert.That(benSaw, Is.EqualTo(new[]
            {
                "What is your name?", "You are ben", "Current clients: ann, ben", "cy has arrived", "ann: hello from node A's page",
                "cy: hi from nc on node B", "Current clients: ann, ben, cy",
            }));
            Assert.That(annSaw, Is.EqualTo(new[]
            {
                "What is your name?", "You are ann", "Current clients: ann", "ben has arrived", "cy has arrived",
                "ann: hello from node A's page", "cy: hi from nc on node B",
            }));
        });
    }

    [Test]
    public async Task Healthz_Is503UntilTheNodeServesTheRoom_Then200()
    {
        // The node starts while Redis is away: it cannot join the room, so it is not ready; then Redis comes.
        await using var redis = await RedisServer.StartAsync();
        await redis.KillAsync();
        var port = FreePort();
        await using var node = await HostProcess.StartAsync(
            ["--port", "0", "--http-port", $"{port}", "--redis", redis.Configuration, "--room", "health", "--idle-timeout", "0", "--node-timeout", "1s"],
            waitForListening: false);
        await node.WaitForEventAsync(RoomLog.JoinFailedEvent, TimeSpan.FromSeconds(30));
        var web = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient();
        using var before = await http.GetAsync(new Uri(web, "/healthz"));
        var (socketBefore, socketStatus) = await WebSocketClient.TryConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws"));
        using var page = await http.GetAsync(web);

        await redis.RestartAsync();
        var listening = await node.ListeningHttpAsync(TimeSpan.FromSeconds(30));
        using var after = await http.GetAsync(new Uri(web, "/healthz"));
        await using var carol = await WebSocketClient.EnterAsync(new Uri($"ws://127.0.0.1:{port}/ws"), "carol");

        Assert.Multiple(async () =>
        {
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await before.Content.ReadAsStringAsync(), Is.EqualTo("not serving the room yet\n"));
            Assert.That((socketBefore, socketStatus), Is.EqualTo(((WebSocketClient?)null, HttpStatusCode.ServiceUnavailable)), "no WebSocket before");
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the page is served meanwhile (it waits and retries)");
            Assert.That(listening.Port, Is.EqualTo(port));
            Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(node.EventCount(RoomLog.JoinedEvent), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Healthz_503WhileTheNodeHasNoContactWithTheRoom_200OnceItServesAgain()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 1, extra: ["--http-port", "0"]);
        var web = await room[0].ListeningHttpAsync(TimeSpan.FromSeconds(10));
        using var http = new HttpClient();
        var healthz = new Uri($"http://{web.Authority}/healthz");
        using var before = await http.GetAsync(healthz);

        await room.Redis.KillAsync();
        HttpStatusCode? during = null;
        await Eventually.HoldsAsync(async () => (during = (await http.GetAsync(healthz)).StatusCode) == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(15), "503 once Redis is gone");
        using var said = await http.GetAsync(healthz);
        await room.Redis.RestartAsync();
        await Eventually.HoldsAsync(async () => (await http.GetAsync(healthz)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "200 once it serves the room again");

        Assert.Multiple(async () =>
        {
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(during, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await said.Content.ReadAsStringAsync(), Is.EqualTo("not serving the room now: no contact with it\n"));
        });
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
