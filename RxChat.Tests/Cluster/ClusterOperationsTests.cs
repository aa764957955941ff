using System.Diagnostics;
using System.Net;
using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// Operating a room on several nodes (PROTOCOL.md v1.2, Rooms across nodes), with real processes and a real
/// <c>redis-server</c>: a node whose network path to Redis is lost while it runs, cut by a <see cref="TcpProxy"/> the
/// test controls (not by stopping a process). The path goes silent, as a network that drops packets (a closed socket
/// would be noticed sooner), or refuses.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public class ClusterOperationsTests
{
    private const string LostContact = "Disconnected: lost contact with the room";

    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(2);

    // Past the node timeout, what a node cut off may take to say so: it checks at every heartbeat (a fifth of the node
    // timeout), then the lines are written; a loaded test machine adds its share.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(2);

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
