using System.Diagnostics;
using System.Globalization;
using System.Text;
using NUnit.Framework;
using RxChat.Rooms;
using RxChat.Tests.Support;
using StackExchange.Redis;

namespace RxChat.Tests.Cluster;

/// <summary>
/// The room's log when Redis loses, changes or mixes up what the room wrote (PROTOCOL.md v1.2, Rooms across nodes;
/// issue 17, "What was found"), staged with real <c>redis-server</c> processes (and real replication and Sentinel)
/// under real node processes. Each test ends with <see cref="RoomAgreement"/>: fresh lines from every node, and either
/// one room everywhere, or every connection told <c>Disconnected: lost contact with the room</c>, after which a new
/// room works on every node. Never two nodes disagreeing, never a hang longer than the node timeout and a few seconds.
/// </summary>
[CancelAfter(120_000)]
[NonParallelizable]
[Category(Needs.Redis)]
public class ClusterLogLossTests
{
    private const int SigTerm = 15, SigStop = 19, SigCont = 18;
    private const string Told = "Disconnected: lost contact with the room";

    // "A few seconds": how much longer than the node timeout a loss may take to reach every connection.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    [Test]
    public async Task RedisRestartedFromAnOlderSnapshot_EveryNodeNoticesTheLoss_EveryConnectionToldThenANewRoomWorks()
    {
        // Finding 1: the room's seq goes back with the same epoch. The snapshot (SAVE) is the room as it was; the chat
        // after it is lost when Redis is killed and loads that snapshot again. The outage is shorter than the node
        // timeout, so what tells the connections is the loss, not the outage.
        await using var room = await Support.Cluster.StartAsync(nodes: 2, nodeTimeout: TimeSpan.FromSeconds(3));
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ExpectAsync("bob has arrived");
        await using var lurker = await LineClient.ConnectAsync(room[1].EndPoint);
        await lurker.ExpectAsync("What is your name?");
        await room.Redis.ExecuteAsync("SAVE");
        var saved = await NewestAsync(room.Redis, room.Room);
        await ChatAsync(alice, bob, "after the snapshot", 20);
        var before = await NewestAsync(room.Redis, room.Room);

        await room.Redis.KillAsync();
        await room.Redis.RestartAsync();
        var clock = Stopwatch.StartNew();
        var heard = await MarkAsync(room, ("alice", alice), ("bob", bob));
        var lurked = await lurker.ReadToEndAsync();
        var took = clock.Elapsed;

        Assert.That(before, Is.GreaterThan(saved + 20), "staging: the chat after the snapshot is in the log before the restart");
        AssertEveryConnectionTold(heard, lurked);
        Assert.That(took, Is.LessThan(room.NodeTimeout + Slack), "every connection told within the node timeout and a few seconds");
        await AssertEveryNodeLoggedAsync(room, RoomLog.LostEvent, 0, 1);
        await AssertANewRoomWorksAsync(room, 0, 1);
    }

    [Test]
    public async Task RoomsMetaKeyDeletedWhileNodesChat_EveryNodeLosesTheRoom_EveryConnectionToldThenANewRoomWorks()
    {
        // Finding 1 (a key evicted or deleted): with {ROOM}:meta gone, no append can succeed in the old room; nodes must
        // not fail them forever, but lose the room and serve a new one.
        await using var room = await Support.Cluster.StartAsync(nodes: 3);
        var clients = await EnterEveryNodeAsync(room, "alice", "bob", "carol");
        await using var lurker = await LineClient.ConnectAsync(room[2].EndPoint);
        await lurker.ExpectAsync("What is your name?");
        foreach (var (name, client) in clients)
        {
            client.ReadTimeout = room.NodeTimeout + Slack;
            await client.SendRawAsync(Lines($"{name} chats", 300));
        }

        await room.Redis.ExecuteAsync("DEL", $"{{{room.Room}}}:meta");
        var clock = Stopwatch.StartNew();
        var heard = await RoomAgreement.MarkAsync(clients);
        var lurked = await lurker.ReadToEndAsync();
        var took = clock.Elapsed;

        AssertEveryConnectionTold(heard, lurked);
        Assert.That(took, Is.LessThan(room.NodeTimeout + Slack), "every connection told within the node timeout and a few seconds: no append failing forever");
        await AssertEveryNodeLoggedAsync(room, RoomLog.LostEvent, 0, 1, 2);
        await AssertANewRoomWorksAsync(room, 0, 1, 2);
        await Task.WhenAll(clients.Select(c => c.Client.DisposeAsync().AsTask()));
    }

    /// <summary>The junk entries of finding 7: an entry added behind the room's back, past its newest.</summary>
    public enum Junk
    {
        /// <summary><c>XADD {ROOM}:log * junk 1</c>: an id from Redis's clock, far past the room's numbers.</summary>
        AutomaticId,

        /// <summary><c>XADD {ROOM}:log NEWEST+1-0 e notjson</c>: the room's next number, and no event.</summary>
        NextIdNotJson,

        /// <summary>The room's next number, and a copy of one of alice's entries with other text: a line she never sent.</summary>
        NextIdForgedLine,
    }

    [TestCase(Junk.AutomaticId)]
    [TestCase(Junk.NextIdNotJson)]
    [TestCase(Junk.NextIdForgedLine)]
    public async Task EntryAddedToTheLogBehindTheRoomsBack_TheRoomGoesOn_NodesAgree_TheEntryIsNeverShown(Junk junk)
    {
        await using var room = await Support.Cluster.StartAsync(nodes: 3);
        var clients = await EnterEveryNodeAsync(room, "alice", "bob", "carol");
        await clients[0].Client.SendAsync("genuine");
        foreach (var (_, client) in clients)
        {
            await client.ReadUntilAsync("alice: genuine");
        }

        await AddJunkAsync(room, junk);
        var heard = new List<RoomAgreement.Heard>();
        for (var round = 0; round < 3; round++)
        {
            var once = await RoomAgreement.MarkAsync(clients);
            RoomAgreement.AssertOneRoom(once);
            heard.AddRange(once);
        }

        Assert.Multiple(() =>
        {
            Assert.That(heard.Where(h => h.Ended).Select(h => h.Name), Is.Empty, "nobody lost contact: the room goes on");
            Assert.That(heard.SelectMany(h => h.Lines).Where(l => l.Contains("junk", StringComparison.Ordinal) || l.Contains("notjson", StringComparison.Ordinal) || l.Contains("forged", StringComparison.Ordinal)),
                Is.Empty, "an entry the room never wrote is never shown");
            Assert.That(Enumerable.Range(0, 3).Select(n => room[n].EventCount(RoomLog.LostEvent)), Is.All.Zero, "no node lost the room");
        });
        await Task.WhenAll(clients.Select(c => c.Client.DisposeAsync().AsTask()));
    }

    [Test]
    public async Task ThirtyThousandUnpacedLinesWhileSubscriptionsAreKilledEvery200Ms_EveryClientGetsThemAllInOneOrder_NoNodeLosesTheRoom()
    {
        // Finding 6: the log keeps what a node that missed publications still needs, in time, not in entries. Outboxes
        // are unbounded here, so that nothing is dropped for a slow reader: every client must get every line.
        const int perClient = 10_000, chunk = 2_500;
        await using var room = await Support.Cluster.StartAsync(nodes: 3, nodeTimeout: TimeSpan.FromSeconds(2), extra: ["--outbox-capacity", "0"]);
        var clients = await EnterEveryNodeAsync(room, "ann", "ben", "cat");
        foreach (var (_, client) in clients)
        {
            client.ReadTimeout = TimeSpan.FromSeconds(60);
        }

        var reading = clients.Select(c => Task.Run(() => ReadChatAsync(c.Client, 3 * perClient))).ToList();
        using var stop = new CancellationTokenSource();
        var killing = Task.Run(() => KillSubscriptionsAsync(room.Redis, TimeSpan.FromMilliseconds(200), stop.Token));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select(async c =>
        {
            for (var from = 0; from < perClient; from += chunk)
            {
                await c.Client.SendRawAsync(Lines($"{c.Name}", chunk, from));
            }
        }));
        var got = await Task.WhenAll(reading);
        var took = clock.Elapsed;
        await stop.CancelAsync();
        var kills = await killing;
        var heard = await RoomAgreement.MarkAsync(clients);
        await TestContext.Out.WriteLineAsync($"{3 * perClient} lines in {took}, subscriptions killed {kills} times");

        RoomAgreement.AssertOneRoom(heard);
        Assert.Multiple(() =>
        {
            Assert.That(kills, Is.GreaterThan(2), "staging: subscriptions killed while the lines went through");
            Assert.That(heard.Where(h => h.Ended).Select(h => h.Name), Is.Empty, "nobody lost contact");
            Assert.That(got[1], Is.EqualTo(got[0]), "ben heard what ann heard, in her order");
            Assert.That(got[2], Is.EqualTo(got[0]), "cat heard what ann heard, in her order");
            foreach (var (name, _) in clients)
            {
                Assert.That(got[0].Where(l => l.StartsWith(name + ": ", StringComparison.Ordinal)),
                    Is.EqualTo(Enumerable.Range(0, perClient).Select(i => $"{name}: {name} {i}")), $"every line of {name}'s, in the order sent");
            }

            Assert.That(Enumerable.Range(0, 3).Select(n => room[n].EventCount(RoomLog.LostEvent) + room[n].EventCount(RoomLog.ContactLostEvent)), Is.All.Zero,
                "no node lost the room or contact with it");
        });
        await Task.WhenAll(clients.Select(c => c.Client.DisposeAsync().AsTask()));
    }

    [Test]
    public async Task NodeStoppedWithItsLastEntryOnASnapshotBoundary_ANodeJoiningLaterShowsTheSameRoom()
    {
        // Finding 2: the node whose entry lands on a multiple of 1,000 writes the room's snapshot; a stopping node whose
        // NodeStopped lands there must not write its emptied state. bob's node sends lines until the room's newest
        // entry is just below the boundary, so that its stop lands on it; alice's node is frozen for that last stretch
        // so that its heartbeats do not take the place. The node timeout is long enough for that freeze.
        await using var room = await Support.Cluster.StartAsync(nodes: 2, nodeTimeout: TimeSpan.FromSeconds(5));
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ExpectAsync("bob has arrived");
        await alice.SendAsync("hello from alice");
        var boundary = await StopOnASnapshotBoundaryAsync(room, stopping: 1, frozen: 0, bob);
        var stopped = await EntryAsync(room.Redis, room.Room, boundary);
        var bobHeard = await bob.ReadToEndAsync();
        await room.Detach(1).WaitForExitAsync(TimeSpan.FromSeconds(10));
        alice.ReadTimeout = TimeSpan.FromSeconds(20);
        await alice.ReadUntilAsync("bob has left");

        await room.AddNodeAsync();
        await using var carol = await room.EnterAsync(2, "carol");
        await alice.ExpectAsync("carol has arrived");
        var who = await Task.WhenAll(WhoAsync(alice), WhoAsync(carol));
        var history = await Task.WhenAll(HistoryAsync(alice), HistoryAsync(carol));

        Assert.That(stopped, Does.Contain("\"k\":\"s\""), $"staging: entry {boundary} is bob's node's NodeStopped");
        Assert.Multiple(() =>
        {
            Assert.That(bobHeard.LastOrDefault(), Is.EqualTo("Server shutting down"));
            Assert.That(who[1], Is.EqualTo("Current clients: alice, carol"), "the joiner's room is the survivors', not an empty one");
            Assert.That(who[1], Is.EqualTo(who[0]));
            Assert.That(history[1], Is.EqualTo(history[0]), "the same history on the joiner as on the survivor");
            Assert.That(history[0], Has.Count.EqualTo(101).And.Some.Contains("bob: "), "bob's lines are in the history");
        });
        var heard = await RoomAgreement.MarkAsync([("alice", alice), ("carol", carol)]);
        RoomAgreement.AssertOneRoom(heard);
        Assert.That(heard.Where(h => h.Ended).Select(h => h.Name), Is.Empty, "nobody lost contact");
    }

    [Test]
    public async Task OneRoomNameInTwoDatabases_TwoIndependentRooms_NoCrossTalk_NobodyLosesARoom()
    {
        // Finding 10: pub/sub is not scoped by database, so the two rooms' publications meet; each room must go on
        // unaware of the other: the same names in both, each its own chat, for a few seconds of heartbeats.
        await using var room = await Support.Cluster.StartAsync(nodes: 0);
        var db0 = $"{room.Redis.Configuration},defaultDatabase=0";
        var db1 = $"{room.Redis.Configuration},defaultDatabase=1";
        foreach (var configuration in new[] { db0, db0, db1, db1 })
        {
            await room.AddNodeAsync(redis: configuration);
        }

        var first = new[] { ("alice", await room.EnterAsync(0, "alice")), ("bob", await room.EnterAsync(1, "bob")) };
        var second = new[] { ("alice", await room.EnterAsync(2, "alice")), ("bob", await room.EnterAsync(3, "bob")) };
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            var heard = await Task.WhenAll(RoomAgreement.MarkAsync(first), RoomAgreement.MarkAsync(second));
            RoomAgreement.AssertOneRoom(heard[0]);
            RoomAgreement.AssertOneRoom(heard[1]);
            var tokens = heard.Select(h => h.SelectMany(c => c.Chat).Select(Token).ToHashSet()).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(heard.SelectMany(h => h).Where(h => h.Ended).Select(h => h.Name), Is.Empty, $"round {rounds}: nobody lost contact");
                Assert.That(tokens[0], Has.Count.EqualTo(1), $"round {rounds}: database 0's clients heard only their room's lines");
                Assert.That(tokens[1], Has.Count.EqualTo(1), $"round {rounds}: database 1's clients heard only their room's lines");
            });
            rounds++;
        }

        Assert.That(Enumerable.Range(0, 4).Select(n => room[n].EventCount(RoomLog.LostEvent) + room[n].EventCount(RoomLog.ContactLostEvent)), Is.All.Zero,
            "no node lost its room or contact with it");
        foreach (var (_, client) in first.Concat(second))
        {
            await client.DisposeAsync();
        }
    }

    [TestCase("", TestName = "LinesBetweenNodes_ArriveWithoutWaitingForAHeartbeat")]
    [TestCase(",channelPrefix=x:", TestName = "LinesBetweenNodesWithAChannelPrefix_ArriveWithoutWaitingForAHeartbeat")]
    public async Task LinesBetweenNodes_ArriveWithoutWaitingForAHeartbeat(string options)
    {
        // Publications are hints that wake the other nodes: without them a node reads the room's new entries only when
        // its own next append (a heartbeat, here once a second) tells it there are some. Finding 10: with a channel
        // prefix in the configuration (which prefixes the subscription) the room's publications must still go where
        // its nodes listen. alice and bob play ping-pong across two nodes, each answering as soon as the other's line
        // arrives; a round trip crosses both nodes, so without publications it waits for both nodes' heartbeats,
        // whatever their phase: about a second.
        await using var room = await Support.Cluster.StartAsync(nodes: 0, nodeTimeout: TimeSpan.FromSeconds(10));
        await room.AddNodeAsync(redis: room.Redis.Configuration + options);
        await room.AddNodeAsync(redis: room.Redis.Configuration + options);
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ExpectAsync("bob has arrived");
        var took = await RoundTrips.TimeAsync(("alice", alice), ("bob", bob));
        var heard = await RoomAgreement.MarkAsync([("alice", alice), ("bob", bob)]);
        await TestContext.Out.WriteLineAsync($"round trips: {RoundTrips.Text(took)}");

        RoomAgreement.AssertOneRoom(heard);
        Assert.Multiple(() =>
        {
            Assert.That(heard.Where(h => h.Ended).Select(h => h.Name), Is.Empty, "nobody lost contact");
            Assert.That(took.Count(t => t < TimeSpan.FromMilliseconds(250)), Is.GreaterThanOrEqualTo(8), "most round trips across two nodes take well under a heartbeat (1 s)");
        });
    }

    [Test]
    public async Task FailoverToAReplicaThatLagged_EveryNodeNoticesTheLoss_EveryConnectionToldThenANewRoomWorks()
    {
        // Finding 1, as measured (ha-tls.md §6.1): the replicas are frozen and cut off from the master, the room chats
        // (the master acknowledges entries the replicas lack), the master is killed, the replicas resume, and Sentinel
        // promotes one. The nodes follow the sentinels; the node timeout is longer than the failover, so what tells
        // the connections is the loss, not the outage.
        await using var redis = await RedisReplicaSet.StartAsync();
        await using var room = await Support.Cluster.StartAsync(nodes: 2, nodeTimeout: TimeSpan.FromSeconds(5), redis: redis.Configuration);
        await using var alice = await room.EnterAsync(0, "alice");
        await using var bob = await room.EnterAsync(1, "bob");
        await alice.ExpectAsync("bob has arrived");
        await ChatAsync(alice, bob, "replicated", 5);
        var replicated = await NewestAsync(redis.Master, room.Room);

        foreach (var replica in redis.Replicas)
        {
            replica.Signal(SigStop);
        }

        await redis.Master.ExecuteAsync("CLIENT", "KILL", "TYPE", "replica");
        await ChatAsync(alice, bob, "only on the master", 20);
        var acknowledged = await NewestAsync(redis.Master, room.Room);
        await redis.Master.KillAsync();
        foreach (var replica in redis.Replicas)
        {
            replica.Signal(SigCont);
        }

        var clock = Stopwatch.StartNew();
        alice.ReadTimeout = bob.ReadTimeout = room.NodeTimeout + Slack;
        var heard = await RoomAgreement.MarkAsync([("alice", alice), ("bob", bob)]);
        var took = clock.Elapsed;
        var promoted = await redis.WaitForNewMasterAsync(redis.Master, TimeSpan.FromSeconds(10));
        await TestContext.Out.WriteLineAsync($"replicated up to {replicated}, acknowledged up to {acknowledged}; connections told after {took}");

        Assert.That(acknowledged, Is.GreaterThan(replicated + 20), "staging: the master acknowledged entries the replicas lack");
        AssertEveryConnectionTold(heard);
        Assert.That(took, Is.LessThan(room.NodeTimeout + Slack), "every connection told within the node timeout and a few seconds");
        await AssertANewRoomWorksAsync(room, 0, 1);
        Assert.That(await NewestAsync(promoted, room.Room), Is.GreaterThan(0), "the new room is on the promoted replica");

        // The node timeout is longer than a failover and the client's switch to the new master (ha-tls.md §6.1: a new
        // master 1 to 2.5 s after the kill): every node reaches the promoted replica in time and notices the loss
        // there, rather than being cut off.
        Assert.That(Enumerable.Range(0, 2).Select(n => room[n].EventCount(RoomLog.LostEvent)), Is.All.Positive, "every node noticed the loss");
    }

    // alice sends COUNT lines, then bob as many; returns once both heard them all.
    private static async Task ChatAsync(LineClient alice, LineClient bob, string text, int count)
    {
        await alice.SendRawAsync(Lines($"{text} a", count));
        await bob.ReadUntilAsync($"alice: {text} a {count - 1}");
        await bob.SendRawAsync(Lines($"{text} b", count));
        await alice.ReadUntilAsync($"bob: {text} b {count - 1}");
        await bob.ReadUntilAsync($"bob: {text} b {count - 1}");
    }

    // COUNT lines "TEXT I", from I = FROM on, as one write.
    private static byte[] Lines(string text, int count, int from = 0)
    {
        var lines = new StringBuilder();
        for (var i = from; i < from + count; i++)
        {
            lines.Append(text).Append(' ').Append(i.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(lines.ToString());
    }

    // One client on each node, in order, each heard of by the ones before.
    private static async Task<IReadOnlyList<(string Name, LineClient Client)>> EnterEveryNodeAsync(Support.Cluster room, params string[] names)
    {
        var clients = new List<(string Name, LineClient Client)>();
        for (var node = 0; node < names.Length; node++)
        {
            var client = await room.EnterAsync(node, names[node]);
            foreach (var (_, before) in clients)
            {
                await before.ReadUntilAsync($"{names[node]} has arrived");
            }

            clients.Add((names[node], client));
        }

        return clients;
    }

    private static Task<IReadOnlyList<RoomAgreement.Heard>> MarkAsync(Support.Cluster room, params (string Name, LineClient Client)[] clients)
    {
        foreach (var (_, client) in clients)
        {
            client.ReadTimeout = room.NodeTimeout + Slack;
        }

        return RoomAgreement.MarkAsync(clients);
    }

    // Every named client lost contact with the room (one room: nobody kept chatting in the old one), and so did every
    // connection that had no name yet.
    private static void AssertEveryConnectionTold(IReadOnlyList<RoomAgreement.Heard> heard, params List<string>[] unnamed)
    {
        RoomAgreement.AssertOneRoom(heard);
        Assert.Multiple(() =>
        {
            Assert.That(heard.Where(h => !h.Lost).Select(h => $"{h.Name}: {string.Join(" | ", h.Lines.TakeLast(3))}"), Is.Empty, "every client told it lost contact with the room");
            Assert.That(unnamed.Select(u => u.LastOrDefault()), Is.All.EqualTo(Told), "every connection without a name told too");
        });
    }

    private static async Task AssertEveryNodeLoggedAsync(Support.Cluster room, int eventId, params int[] nodes)
    {
        foreach (var node in nodes)
        {
            await room[node].WaitForEventAsync(eventId, TimeSpan.FromSeconds(5));
        }
    }

    // A new room on every node given: a newcomer on each (once it serves again), and one room among them.
    private static async Task AssertANewRoomWorksAsync(Support.Cluster room, params int[] nodes)
    {
        var clients = new List<(string Name, LineClient Client)>();
        try
        {
            foreach (var node in nodes)
            {
                clients.Add(($"new{node}", await room.EnterWhenReadyAsync(node, $"new{node}")));
            }

            var heard = await RoomAgreement.MarkAsync(clients);
            RoomAgreement.AssertOneRoom(heard);
            Assert.That(heard.Where(h => h.Ended).Select(h => h.Name), Is.Empty, "the new room: everyone heard everyone's line, nobody lost contact");
        }
        finally
        {
            foreach (var (_, client) in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    // The room's newest entry, as its meta hash has it.
    private static async Task<long> NewestAsync(RedisServer redis, string room) =>
        (long)await redis.ExecuteAsync("HGET", $"{{{room}}}:meta", "seq");

    // The event of entry SEQ of the room's log ("" if there is none).
    private static async Task<string> EntryAsync(RedisServer redis, string room, long seq)
    {
        var entries = (RedisResult[])(await redis.ExecuteAsync("XRANGE", $"{{{room}}}:log", $"{seq}-0", $"{seq}-0"))!;
        if (entries.Length == 0)
        {
            return "";
        }

        var fields = ((RedisResult[])((RedisResult[])entries[0]!)[1]!).Select(f => (string?)f).ToList();
        var at = fields.IndexOf("e");
        return at >= 0 ? fields[at + 1] ?? "" : "";
    }

    private static async Task AddJunkAsync(Support.Cluster room, Junk junk)
    {
        var log = $"{{{room.Room}}}:log";
        if (junk == Junk.AutomaticId)
        {
            await room.Redis.ExecuteAsync("XADD", log, "*", "junk", "1");
            return;
        }

        // The room's newest entry moves with every heartbeat: this tries again until the junk takes the next number.
        await Eventually.HoldsAsync(
            async () =>
            {
                var newest = await NewestAsync(room.Redis, room.Room);
                object[] fields = junk == Junk.NextIdNotJson ? ["e", "notjson"] : await ForgedAsync(room.Redis, log, newest);
                try
                {
                    await room.Redis.ExecuteAsync("XADD", [log, $"{newest + 1}-0", .. fields]);
                    return true;
                }
                catch (RedisServerException e) when (e.Message.Contains("equal or smaller", StringComparison.Ordinal))
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(10), "junk added as the room's next entry");
    }

    // The fields of alice's "genuine" entry, the text changed: well-formed, and never written by the room.
    private static async Task<object[]> ForgedAsync(RedisServer redis, string log, long newest)
    {
        var entries = (RedisResult[])(await redis.ExecuteAsync("XREVRANGE", log, $"{newest}-0", "-"))!;
        foreach (var entry in entries)
        {
            var fields = ((RedisResult[])((RedisResult[])entry!)[1]!).Select(f => (string)f!).ToArray();
            if (fields.Any(f => f.Contains("\"genuine\"", StringComparison.Ordinal)))
            {
                return [.. fields.Select(f => f.Replace("\"genuine\"", "\"forged\"", StringComparison.Ordinal))];
            }
        }

        throw new InvalidOperationException("alice's line is not in the log");
    }

    // Kills every pub/sub connection every PERIOD until cancelled; returns how many times.
    private static async Task<int> KillSubscriptionsAsync(RedisServer redis, TimeSpan period, CancellationToken cancellation)
    {
        var kills = 0;
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellation))
            {
                await redis.ExecuteAsync("CLIENT", "KILL", "TYPE", "pubsub");
                kills++;
            }
        }
        catch (OperationCanceledException)
        {
        }

        return kills;
    }

    // The next COUNT chat lines (NAME: TEXT) a client hears.
    private static async Task<List<string>> ReadChatAsync(LineClient client, int count)
    {
        var chat = new List<string>(count);
        while (chat.Count < count)
        {
            var line = await client.ReadLineAsync() ?? throw new InvalidOperationException($"end of stream after {chat.Count} lines: {string.Join(" | ", chat.TakeLast(3))}");
            if (line.Contains(": ", StringComparison.Ordinal) && !line.StartsWith("error: ", StringComparison.Ordinal))
            {
                chat.Add(line);
            }
        }

        return chat;
    }

    // The answer to /who.
    private static async Task<string?> WhoAsync(LineClient client)
    {
        await client.SendAsync("/who");
        return await client.ReadLineAsync();
    }

    // The answer to /history 100: its first line, then as many lines as it says.
    private static async Task<List<string?>> HistoryAsync(LineClient client)
    {
        await client.SendAsync("/history 100");
        var first = await client.ReadLineAsync();
        var count = first?.Split(' ') is ["History:", var k, "lines"] ? int.Parse(k, CultureInfo.InvariantCulture) : 0;
        return [first, .. await client.ReadLinesAsync(count)];
    }

    // The token of a marker line ("NAME: mark TOKEN NAME").
    private static string Token(string line) => line.Split(' ') is [_, "mark", var token, _] ? token : line;

    // Stages finding 2: lines from the stopping node's client until the room's newest entry is one below a multiple of
    // SnapshotEvery (the second one at the earliest), the other node frozen for the last few; then the stop, whose
    // NodeStopped takes the boundary. Returns the boundary.
    private static async Task<long> StopOnASnapshotBoundaryAsync(Support.Cluster room, int stopping, int frozen, LineClient sender)
    {
        const int every = SharedRoomLog.SnapshotEvery, margin = 20;
        var sent = 0;
        async Task SendAsync(int count)
        {
            await sender.SendRawAsync(Lines("toward the boundary", count, sent));
            sent += count;
            await sender.ReadUntilAsync($"bob: toward the boundary {sent - 1}");
        }

        // The second boundary at the earliest: a snapshot written there trims the log behind the first one, so a
        // joiner cannot fold its way back from the beginning.
        var newest = await NewestAsync(room.Redis, room.Room);
        var boundary = Math.Max(2 * every, (newest / every + 1) * every);
        while (true)
        {
            if (boundary - 1 - newest > margin)
            {
                await SendAsync((int)(boundary - 1 - newest - margin));
                newest = await NewestAsync(room.Redis, room.Room);
                continue;
            }

            room[frozen].Signal(SigStop);
            try
            {
                while ((newest = await NewestAsync(room.Redis, room.Room)) < boundary - 1)
                {
                    await SendAsync(1);
                }

                if (newest == boundary - 1)
                {
                    room[stopping].Signal(SigTerm);
                    await Eventually.HoldsAsync(async () => await NewestAsync(room.Redis, room.Room) >= boundary, TimeSpan.FromSeconds(10), "the stop in the log");
                    return boundary;
                }
            }
            finally
            {
                room[frozen].Signal(SigCont);
            }

            // Something else took the boundary: the next one.
            boundary += every;
        }
    }
}
