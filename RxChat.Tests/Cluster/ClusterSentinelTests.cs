using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Cluster;

/// <summary>
/// A room on Redis through Sentinel (issue 18): one master, two replicas in step, three sentinels; two nodes chatting
/// follow a failover. Afterwards the room goes on with one order on both nodes, or every connection was told it lost
/// contact (a failover can lose what the master had not passed on). A lagging replica's failover, which does lose
/// entries, is ClusterLogLossTests'.
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
        await using var room = await Support.Cluster.StartAsync(nodes: 2, nodeTimeout: TimeSpan.FromSeconds(5), redis: redis.Configuration);
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
        alice.ReadTimeout = bob.ReadTimeout = TimeSpan.FromSeconds(20);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var heard = await RoomAgreement.MarkAsync([("alice", alice), ("bob", bob)]);
        var took = clock.Elapsed;

        RoomAgreement.AssertOneRoom(heard);
        Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(5)), "the nodes follow the new master within seconds");
        if (heard.All(h => h.Lost))
        {
            // Told: then the nodes serve a new room, on the new master.
            await using var carol = await room.EnterWhenReadyAsync(0, "carol");
            await using var dan = await room.EnterWhenReadyAsync(1, "dan");
            var again = await RoomAgreement.MarkAsync([("carol", carol), ("dan", dan)]);
            RoomAgreement.AssertOneRoom(again);
            Assert.That(again.Any(h => h.Ended), Is.False, "the new room works");
        }

        await TestContext.Out.WriteLineAsync($"{(heard.All(h => h.Lost) ? "every connection told" : "the room went on")} {took} after the new master, {promoted.Port}");
        Assert.That(await promoted.ExecuteAsync("HGET", $"{{{room.Room}}}:meta", "seq"), Is.Not.Null, "the room is on the new master");
    }
}
