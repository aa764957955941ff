using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// A room on Redis through Sentinel (issue 18): one master, two replicas in step, three sentinels; two nodes chatting
/// follow a failover. Each node moves to the primary the sentinels name, subscription included (event 316, counted by
/// <c>rxchat.room.failovers</c>, and lines between the nodes arrive at once, which only a subscription on the new
/// primary gives). Then the room goes on with one order on both nodes, or every connection was told it lost contact
/// (a failover can lose what the master had not passed on; after SENTINEL FAILOVER, what a node wrote to the old
/// master before it moved). A lagging replica's failover, which does lose entries, is ClusterLogLossTests'.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public class ClusterSentinelTests
{
    [TestCase(false, TestName = "Sentinel_FailoverAsked_TheRoomGoesOnInOneOrder_OrEveryConnectionIsTold")]
    [TestCase(true, TestName = "Sentinel_MasterKilled_TheRoomGoesOnInOneOrder_OrEveryConnectionIsTold")]
    public async Task Failover(bool kill)
    {
        await using var redis = await RedisReplicaSet.StartAsync();
        await using var room = await Support.Cluster.StartAsync(nodes: 2, nodeTimeout: TimeSpan.FromSeconds(5), redis: redis.Configuration, extra: ["--http-port", "0"]);
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ExpectAsync("bob has arrived");
        await alice.SendAsync("before");
        await bob.ReadUntilAsync("alice: before");
        var old = redis.Master;
        await Eventually.HoldsAsync(async () => (long)(await old.ExecuteAsync("WAIT", 2, 100))! == 2, TimeSpan.FromSeconds(10), "replicas in step");

        if (kill)
        {
            await old.KillAsync();
        }
        else
        {
            await redis.Sentinels[0].ExecuteAsync("SENTINEL", "FAILOVER", RedisReplicaSet.Service);
        }

        var promoted = await redis.WaitForNewMasterAsync(old, TimeSpan.FromSeconds(20));

        // Each node follows the new master, subscription included: it says so (event 316) within seconds. Until
        // SENTINEL FAILOVER's old master is made a replica (seconds later), it still takes writes, which it then
        // loses: a node that wrote there after the promotion finds the room lost once it follows.
        var following = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(room[0].WaitForEventAsync(RoomLog.PrimaryChangedEvent, TimeSpan.FromSeconds(10)), room[1].WaitForEventAsync(RoomLog.PrimaryChangedEvent, TimeSpan.FromSeconds(10)));
        var followed = following.Elapsed;
        alice.ReadTimeout = bob.ReadTimeout = TimeSpan.FromSeconds(20);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var heard = await RoomAgreement.MarkAsync([("alice", alice), ("bob", bob)]);
        var took = clock.Elapsed;

        RoomAgreement.AssertOneRoom(heard);
        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(5)), "the room goes on on the new master, or every connection is told, within seconds");
        var told = heard.All(h => h.Lost);
        await using var carol = told ? await room.EnterWhenReadyAsync(0, "carol") : null;
        await using var dan = told ? await room.EnterWhenReadyAsync(1, "dan") : null;
        if (told)
        {
            // Told: then the nodes serve a new room, on the new master.
            var again = await RoomAgreement.MarkAsync([("carol", carol!), ("dan", dan!)]);
            RoomAgreement.AssertOneRoom(again);
            Assert.That(again.Any(h => h.Ended), Is.False, "the new room works");
        }

        // Lines between the nodes arrive at once, which only a subscription on the new master gives (without one, each
        // waits for the read that the next heartbeat, a second away, brings); and each node counted the failover.
        var trips = told ? await RoundTrips.TimeAsync(("carol", carol!), ("dan", dan!)) : await RoundTrips.TimeAsync(("alice", alice), ("bob", bob));
        var failovers = await Task.WhenAll(Enumerable.Range(0, 2).Select(n => PrometheusScrape.ValueAsync(room[n], "rxchat_room_failovers_total")));
        await TestContext.Out.WriteLineAsync($"nodes followed {followed} after the new master, {promoted.Port}; then {(told ? "every connection told" : "the room went on")} ({took}); round trips then: {RoundTrips.Text(trips)}");

        Assert.Multiple(async () =>
        {
            Assert.That(RoundTrips.Median(trips), Is.LessThan(TimeSpan.FromMilliseconds(250)), "lines between the nodes through the new master's subscription, not a heartbeat's read");
            Assert.That(failovers, Is.All.EqualTo(1), "rxchat.room.failovers: one failover followed, on each node");
            Assert.That(await promoted.ExecuteAsync("HGET", $"{{{room.Room}}}:meta", "seq"), Is.Not.Null, "the room is on the new master");
        });
    }
}
