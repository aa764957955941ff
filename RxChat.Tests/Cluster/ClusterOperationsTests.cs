using System.Diagnostics;
using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// Operating a room on several nodes (PROTOCOL.md v1.2, Rooms across nodes), with real processes and a real
/// <c>redis-server</c>: a node whose network path to Redis is lost while it runs, cut by a <see cref="TcpProxy"/> the
/// test controls (not by stopping a process). The path goes silent, as a network that drops packets (a closed socket
/// would be noticed sooner), or refuses. And a newcomer the moment a node has to join the room again (it was counted
/// gone, the room was lost, it lost contact): it gets the prompt within the node timeout, at its first try, and
/// chats. The node it comes to reaches Redis through a slow path (<see cref="TcpProxy.Latency"/>), so that joining again
/// takes round trips, and the newcomer comes while the node cannot serve yet, as on a real network. Its metrics are
/// read as an operator reads them, from <c>/metrics</c>.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public partial class ClusterOperationsTests
{
    private const string LostContact = "Disconnected: lost contact with the room";

    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    // Past the node timeout, what a node cut off may take to say so: it checks at every heartbeat (a fifth of the node
    // timeout), then the lines are written; a loaded test machine adds its share.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

    // The newcomer tests': a node timeout long enough for a few round trips on the slow path, which adds a tenth of a
    // second each way; and how much later than the node timeout the prompt may come (it is sent once the node serves,
    // at the latest the node timeout after the newcomer came, when it is turned away instead).
    private static readonly TimeSpan RejoinTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PromptMargin = TimeSpan.FromSeconds(1);

    [TestCase(CutMode.Silent)]
    [TestCase(CutMode.Reset)]
    public async Task NodeCutOffFromRedis_ItsClientsToldWithinTheTimeout_TheOthersSeeEachLeaveOnce_ThenItServesNewcomers(CutMode mode)
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 1, nodeTimeout: NodeTimeout);
        await using var path = TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, room.Redis.Port));
        var cut = await room.AddNodeAsync(redis: $"127.0.0.1:{path.Port}");
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(cut, "bob");
        await using var bea = await room.EnterAsync(cut, "bea");
        await alice.ReadUntilAsync("bea has arrived");
        await bob.ReadUntilAsync("bea has arrived");

        path.Cut(mode);
        var told = await Task.WhenAll(HearUntilClosedAsync(bob, NodeTimeout + Margin), HearUntilClosedAsync(bea, NodeTimeout + Margin));
        var aliceHeard = await alice.ReadUntilAsync("bea has left");
        await alice.SendAsync("after");
        var aliceThen = await alice.ReadLineAsync();

        Assert.Multiple(() =>
        {
            Assert.That(told.Select(t => t.Lines), Is.All.EqualTo(new[] { LostContact }), "bob and bea: told, then closed");
            Assert.That(told.Select(t => t.Closed), Is.All.Not.Null, "closed within the node timeout plus a margin");
            Assert.That(told.Where(t => t.Closed is not null).Select(t => t.Closed!.Value), Is.All.GreaterThanOrEqualTo(NodeTimeout - TimeSpan.FromMilliseconds(100)), "not before the node timeout");
            Assert.That(aliceHeard, Is.EqualTo(new[] { "bob has left" }), "each of the node's clients leaves, in their order of arrival");
            Assert.That(aliceThen, Is.EqualTo("alice: after"), "and once: nothing more of them");
        });
        await room[cut].WaitForEventAsync(RoomLog.ContactLostEvent, Margin);

        path.Restore();
        await using var carl = await room.EnterWhenReadyAsync(cut, "carl");
        var aliceMet = await alice.ReadLineAsync();
        await carl.SendAsync("hello from the node that was cut off");
        var aliceGot = await alice.ReadLineAsync();
        await alice.SendAsync("welcome back");

        Assert.Multiple(async () =>
        {
            Assert.That(aliceMet, Is.EqualTo("carl has arrived"));
            Assert.That(aliceGot, Is.EqualTo("carl: hello from the node that was cut off"));
            Assert.That(await carl.ReadUntilAsync("alice: welcome back"), Is.EqualTo(new[] { "carl: hello from the node that was cut off" }));
        });
    }

    [Test]
    public async Task NodeCutOffFromRedis_ANewcomerWaitsForThePrompt_ThenIsToldTheRoomIsUnavailable()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 1, nodeTimeout: NodeTimeout);
        await using var path = TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, room.Redis.Port));
        var cut = await room.AddNodeAsync(redis: $"127.0.0.1:{path.Port}");
        await using var alice = await room.EnterAsync(0, "alice");

        path.Cut(CutMode.Silent);
        var connecting = Stopwatch.StartNew();
        await using var newcomer = await LineClient.ConnectAsync(room[cut].EndPoint);
        await newcomer.SendAsync("frank");
        var heard = await HearUntilClosedAsync(newcomer, NodeTimeout + Margin);
        path.Restore();
        await using var gina = await room.EnterWhenReadyAsync(cut, "gina");

        Assert.Multiple(async () =>
        {
            Assert.That(heard.Lines, Is.EqualTo(new[] { "error: room unavailable" }), "no prompt meanwhile, then refused and closed");
            Assert.That(heard.Closed, Is.Not.Null.And.GreaterThanOrEqualTo(NodeTimeout - TimeSpan.FromMilliseconds(100)), "it waited the node timeout");
            Assert.That(connecting.Elapsed, Is.LessThan(NodeTimeout + Margin + TimeSpan.FromSeconds(1)));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("gina has arrived"), "nobody heard of frank");
        });
    }

    [Test]
    public async Task NewcomerTheMomentTheNodeLearnsTheRoomCountedItGone_GetsThePromptWithinTheTimeout_AndChatsAcrossNodes()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 0, nodeTimeout: RejoinTimeout);
        await using var path = TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, room.Redis.Port));
        path.Latency = Latency;
        var (direct, slow) = await AddNodesAsync(room, path, http: false);
        await using var alice = await room.EnterAsync(direct, "alice");
        await using var bob = await room.EnterAsync(slow, "bob");
        await alice.ReadUntilAsync("bob has arrived");

        // The room counts the slow node gone as a node that found it silent does: it retires its number. The node
        // learns it (event 304) and joins again under a new number.
        await RetireAsync(room, NodeNumber(room[slow]));
        await room[slow].WaitForEventAsync(RoomLog.FencedEvent, RejoinTimeout);
        var (nina, first, took) = await ConnectOnceAsync(room[slow]);
        await using var ninaConnected = nina;
        AssertPrompted(first, took);
        var bobHeard = await bob.ReadToEndAsync();
        var aliceHeard = await ChatAsync(("nina", nina), ("alice", alice));

        Assert.Multiple(() =>
        {
            Assert.That(bobHeard.LastOrDefault(), Is.EqualTo(LostContact), "the node's clients were told");
            Assert.That(aliceHeard, Is.EqualTo(new[] { "bob has left" }), "the other node heard bob leave once, then nina arrive");
            Assert.That(room[slow].EventCount(RoomLog.ContactLostEvent) + room[slow].EventCount(RoomLog.LostEvent), Is.Zero, "staging: counted gone, nothing else");
        });
    }

    [Test]
    public async Task NewcomersTheMomentTheNodesLoseTheRoom_GetThePromptWithinTheTimeout_AndChatAcrossNodes_TheLossCounted()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 0, nodeTimeout: RejoinTimeout);
        await using var path = TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, room.Redis.Port));
        path.Latency = Latency;
        var (direct, slow) = await AddNodesAsync(room, path, http: true);
        await using var alice = await room.EnterAsync(direct, "alice");
        await using var bob = await room.EnterAsync(slow, "bob");
        await alice.ReadUntilAsync("bob has arrived");
        var lostBefore = await PrometheusScrape.ValueAsync(room[slow], "rxchat_room_lost_total");

        // Redis loses every key of the room, as a restart without its data does (without the outage): each node
        // learns it (event 303) and joins a new room; a newcomer comes to each the moment it does.
        await room.Redis.ExecuteAsync("FLUSHALL");
        var newcomers = await Task.WhenAll(new[] { slow, direct }.Select(async node =>
        {
            await room[node].WaitForEventAsync(RoomLog.LostEvent, RejoinTimeout);
            return await ConnectOnceAsync(room[node]);
        }));
        await using var nina = newcomers[0].Client;
        await using var otto = newcomers[1].Client;
        foreach (var (_, first, took) in newcomers)
        {
            AssertPrompted(first, took);
        }

        var told = await Task.WhenAll(alice.ReadToEndAsync(), bob.ReadToEndAsync());
        await EnterAsync(otto, "otto");
        await ChatAsync(("nina", nina), ("otto", otto));
        var lostAfter = await PrometheusScrape.ValueAsync(room[slow], "rxchat_room_lost_total");

        Assert.Multiple(() =>
        {
            Assert.That(told.Select(t => t.LastOrDefault()), Is.All.EqualTo(LostContact), "alice and bob were told");
            Assert.That((lostBefore ?? 0, lostAfter), Is.EqualTo((0d, (double?)1)), "rxchat.room.lost: the room lost once");
            Assert.That(room[slow].EventCount(RoomLog.ContactLostEvent), Is.Zero, "staging: the room lost, not contact with it");
        });
    }

    [Test]
    public async Task NewcomerTheMomentTheNodeLostContact_WaitsInTheLobbyGauge_GetsThePromptWithinTheTimeoutOnceRedisIsBack_AndChats()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 0, nodeTimeout: RejoinTimeout);
        await using var path = TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, room.Redis.Port));
        var (direct, cut) = await AddNodesAsync(room, path, http: true);
        await using var alice = await room.EnterAsync(direct, "alice");
        await using var bob = await room.EnterAsync(cut, "bob");
        await alice.ReadUntilAsync("bob has arrived");

        // The node's path goes silent past the node timeout (event 311); a newcomer comes the moment the node says so,
        // and waits (the lobby gauge counts it) until the path is back.
        path.Cut(CutMode.Silent);
        await room[cut].WaitForEventAsync(RoomLog.ContactLostEvent, RejoinTimeout + Margin);
        var clock = Stopwatch.StartNew();
        await using var nina = await LineClient.ConnectAsync(room[cut].EndPoint);
        nina.ReadTimeout = RejoinTimeout + PromptMargin;
        double? waiting = null;
        await Eventually.HoldsAsync(async () => (waiting = await PrometheusScrape.ValueAsync(room[cut], "rxchat_room_lobby")) == 1, RejoinTimeout / 2, "the newcomer in the lobby gauge");
        path.Restore();
        var first = await nina.ReadLineAsync();
        var took = clock.Elapsed;
        AssertPrompted(first, took);
        var aliceHeard = await ChatAsync(("nina", nina), ("alice", alice));
        double? after = null;
        await Eventually.HoldsAsync(async () => (after = await PrometheusScrape.ValueAsync(room[cut], "rxchat_room_lobby")) == 0, RejoinTimeout, "nobody in the lobby gauge once nina entered");

        Assert.Multiple(async () =>
        {
            Assert.That(await bob.ReadToEndAsync(), Is.EqualTo(new[] { LostContact }));
            Assert.That(aliceHeard, Is.EqualTo(new[] { "bob has left" }));
            Assert.That((waiting, after), Is.EqualTo(((double?)1, (double?)0)), "rxchat.room.lobby: one newcomer waiting, then none");
        });
    }

    [Test]
    public async Task NodeCutOffShorterThanTheTimeout_ItsWaitingLinesInTheBacklogGauge_ThenTheyGoThroughAndItIsZero()
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 0, nodeTimeout: RejoinTimeout);
        await using var path = TcpProxy.Start(new IPEndPoint(IPAddress.Loopback, room.Redis.Port));
        var (direct, cut) = await AddNodesAsync(room, path, http: true);
        await using var alice = await room.EnterAsync(direct, "alice");
        await using var bob = await room.EnterAsync(cut, "bob");
        await alice.ReadUntilAsync("bob has arrived");
        var before = await PrometheusScrape.ValueAsync(room[cut], "rxchat_room_backlog");

        path.Cut(CutMode.Silent);
        for (var i = 0; i < 5; i++)
        {
            await bob.SendAsync($"waiting {i}");
        }

        double? during = null;
        await Eventually.HoldsAsync(async () => (during = await PrometheusScrape.ValueAsync(room[cut], "rxchat_room_backlog")) >= 5, RejoinTimeout / 2, "bob's lines in the backlog gauge");
        path.Restore();
        var aliceHeard = await alice.ReadUntilAsync("bob: waiting 4");
        double? after = null;
        await Eventually.HoldsAsync(async () => (after = await PrometheusScrape.ValueAsync(room[cut], "rxchat_room_backlog")) == 0, RejoinTimeout, "an empty backlog once Redis took them");

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.Zero, "rxchat.room.backlog: nothing waiting before");
            Assert.That(during, Is.InRange(5, 10), "bob's five lines (and a heartbeat or two) waiting while Redis was away");
            Assert.That(after, Is.Zero);
            Assert.That(aliceHeard, Is.EqualTo(Enumerable.Range(0, 4).Select(i => $"bob: waiting {i}")), "nothing lost");
            Assert.That(room[cut].EventCount(RoomLog.ContactLostEvent), Is.Zero, "staging: an outage shorter than the node timeout");
        });
    }

    // Starts two nodes of the room at once: one on Redis directly, one through PATH (with its web door, for /metrics).
    private static async Task<(int Direct, int Through)> AddNodesAsync(Support.Cluster room, TcpProxy path, bool http)
    {
        var nodes = await Task.WhenAll(room.AddNodeAsync(), room.AddNodeAsync(redis: $"127.0.0.1:{path.Port}", extra: http ? ["--http-port", "0"] : null));
        return (nodes[0], nodes[1]);
    }

    // Connects and reads the first line, with no second try; returns the client, that line and how long it took.
    private static async Task<(LineClient Client, string? First, TimeSpan Took)> ConnectOnceAsync(HostProcess node)
    {
        var clock = Stopwatch.StartNew();
        var client = await LineClient.ConnectAsync(node.EndPoint);
        client.ReadTimeout = RejoinTimeout + PromptMargin;
        var first = await client.ReadLineAsync();
        return (client, first, clock.Elapsed);
    }

    // A newcomer's first line, read with no second try, and when it came: the prompt, within the node timeout.
    private static void AssertPrompted(string? first, TimeSpan took) => Assert.Multiple(() =>
    {
        Assert.That(first, Is.EqualTo("What is your name?"), "the newcomer waited for the node, and was not turned away");
        Assert.That(took, Is.LessThan(RejoinTimeout + PromptMargin), "the prompt within the node timeout");
    });

    // Answers the prompt with NAME and reads the welcome lines.
    private static async Task EnterAsync(LineClient client, string name)
    {
        await client.SendAsync(name);
        await client.ExpectAsync($"You are {name}");
        await client.ReadLineAsync();
    }

    // The newcomer (prompted, not yet named) enters, says hello, the other client (in the room, on the other node)
    // answers; returns what the other heard before the newcomer's arrival.
    private static async Task<List<string>> ChatAsync((string Name, LineClient Client) newcomer, (string Name, LineClient Client) other)
    {
        var (name, client) = newcomer;
        await EnterAsync(client, name);
        var heard = await other.Client.ReadUntilAsync($"{name} has arrived");
        await client.SendAsync($"hello from {name}");
        await other.Client.ReadUntilAsync($"{name}: hello from {name}");
        await other.Client.SendAsync($"welcome, {name}");
        await client.ReadUntilAsync($"{other.Name}: welcome, {name}");
        return heard;
    }

    // The node's number in the room, as its last join said (event 300).
    private static long NodeNumber(HostProcess node) =>
        long.Parse(JoinedAs().Match(node.Errors.Last(l => l.Contains($"[{RoomLog.JoinedEvent}] ", StringComparison.Ordinal))).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"joined as node (\d+)")]
    private static partial Regex JoinedAs();

    // Retires the node's number as a node of the room does when it counts that node gone (the room's own entry says
    // so, and the store takes nothing more from it).
    private static async Task RetireAsync(Support.Cluster room, long node)
    {
        var epoch = (string?)await room.Redis.ExecuteAsync("HGET", $"{{{room.Room}}}:meta", "epoch");
        await using var store = new RedisRoomStore(new ChatServerOptions { Redis = room.Redis.Configuration, Room = room.Room }, Scheduler.Default, NullLogger.Instance);
        await store.Connect();
        Assert.That(await store.Retire(new RetireRequest(epoch!, node)), Is.True, $"staging: node {node} retired");
    }

    // What a client hears until its connection closes, and when it closed (measured from now); Closed is null when it
    // was still open after the deadline.
    private static async Task<(List<string> Lines, TimeSpan? Closed)> HearUntilClosedAsync(LineClient client, TimeSpan within)
    {
        var lines = new List<string>();
        var clock = Stopwatch.StartNew();
        var previous = client.ReadTimeout;
        try
        {
            while (true)
            {
                var left = within - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                {
                    return (lines, null);
                }

                client.ReadTimeout = left;
                if (await client.ReadLineAsync() is not { } line)
                {
                    return (lines, clock.Elapsed);
                }

                lines.Add(line);
            }
        }
        catch (OperationCanceledException)
        {
            return (lines, null);
        }
        catch (IOException)
        {
            // Reset rather than closed: closed all the same.
            return (lines, clock.Elapsed);
        }
        finally
        {
            client.ReadTimeout = previous;
        }
    }
}
