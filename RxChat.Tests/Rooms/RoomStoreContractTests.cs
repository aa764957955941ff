using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Rooms;

/// <summary>
/// The store's rules (<see cref="IRoomStore"/>), one suite run on both stores: the real one on a real
/// <c>redis-server</c> (<see cref="RedisRoomStoreContractTests"/>) and the scripted one the virtual-time tests use
/// (<see cref="ScriptedRoomStoreContractTests"/>), so that what those tests stage is what Redis does.
/// </summary>
public abstract class RoomStoreContract
{
    private static readonly RoomSettings Settings = new(TimeSpan.FromSeconds(2), 100);

    /// <summary>A store of a room of its own, connected.</summary>
    private protected abstract Task<IRoomStore> StoreAsync();

    /// <summary>Runs one operation to its answer.</summary>
    private protected abstract Task<T> DoAsync<T>(IObservable<T> operation);

    /// <summary>Writes an entry behind the room's back at <paramref name="seq"/> (an <c>XADD</c> by someone else).</summary>
    private protected abstract Task AddJunkAsync(IRoomStore store, long seq);

    /// <summary>Publications the store delivers for the room, as they come.</summary>
    private protected abstract Task<IReadOnlyList<Publication>> PublicationsAsync(IRoomStore store, Func<Task> during);

    [Test]
    public async Task Join_NoRoom_CreatesItWithTheSettings_TheNextJoinFindsIt()
    {
        var store = await StoreAsync();

        var first = await DoAsync(store.Join(new JoinRequest("e1", Settings, 100)));
        var second = await DoAsync(store.Join(new JoinRequest("e2", new RoomSettings(TimeSpan.FromSeconds(30), 5), 200)));

        Assert.Multiple(() =>
        {
            Assert.That((first.Epoch, first.Created, first.Newest, first.Snapshot), Is.EqualTo(("e1", true, 0L, (string?)null)));
            Assert.That((second.Epoch, second.Created, second.Settings), Is.EqualTo(("e1", false, Settings)), "the room's settings, not the joiner's");
            Assert.That(second.Node, Is.GreaterThan(first.Node));
        });
    }

    [Test]
    public async Task Append_Batches_AreNumberedDenselyInOrder_AndReadBackAsAppended()
    {
        var (store, node) = await JoinedAsync();

        var one = await DoAsync(store.Append(Request(node, 100, ["a", "b"])));
        var two = await DoAsync(store.Append(Request(node, 102, ["c"])));
        var read = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));

        Assert.Multiple(() =>
        {
            Assert.That((one.Status, one.Start, two.Status, two.Start), Is.EqualTo((StoreStatus.Done, 1L, StoreStatus.Done, 3L)));
            Assert.That(two.Millis, Is.GreaterThanOrEqualTo(one.Millis), "the room's time never goes back");
            Assert.That((read.Status, read.Newest), Is.EqualTo((StoreStatus.Done, 3L)));
            Assert.That(read.Entries.Select(e => (e.Seq, e.Id.Node, e.Id.NodeSeq, e.Payload)), Is.EqualTo(new[]
            {
                (1L, node.Node, 100L, "a"), (2L, node.Node, 101L, "b"), (3L, node.Node, 102L, "c"),
            }));
            Assert.That(read.Entries[2].Id.Millis, Is.EqualTo(two.Millis));
        });
    }

    [Test]
    public async Task Append_TheSameBatchAgain_IsADuplicate_NothingAppended()
    {
        var (store, node) = await JoinedAsync();
        await DoAsync(store.Append(Request(node, 100, ["a"])));

        var again = await DoAsync(store.Append(Request(node, 100, ["a"])));
        var read = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));

        Assert.Multiple(() =>
        {
            Assert.That(again.Status, Is.EqualTo(StoreStatus.Duplicate));
            Assert.That(read.Newest, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Append_AnotherEpoch_IsGone_AndSoIsARead()
    {
        var (store, node) = await JoinedAsync();

        var append = await DoAsync(store.Append(Request(node, 100, ["a"]) with { Epoch = "other" }));
        var read = await DoAsync(store.Read(new ReadRequest("other", 1, 10, Guard.None, "x")));

        Assert.That((append.Status, read.Status), Is.EqualTo((StoreStatus.Gone, StoreStatus.Gone)));
    }

    [Test]
    public async Task Append_ANodeNotAMember_IsRetired_AndAfterItsLastBatchNoLongerAMember()
    {
        var (store, node) = await JoinedAsync();

        var stranger = await DoAsync(store.Append(Request(node with { Node = node.Node + 1000 }, 1, ["a"])));
        var last = await DoAsync(store.Append(Request(node, 100, ["s"]) with { Last = true }));
        var after = await DoAsync(store.Append(Request(node, 101, ["h"])));

        Assert.That((stranger.Status, last.Status, after.Status), Is.EqualTo((StoreStatus.Retired, StoreStatus.Done, StoreStatus.Retired)));
    }

    [Test]
    public async Task Guard_ALogOlderThanWhatTheNodeKnows_IsLost_AndTheRoomIsReplaced()
    {
        var (store, node) = await JoinedAsync();
        var done = await DoAsync(store.Append(Request(node, 100, ["a"])));
        var knownLater = new Guard(5, new EntryId(node.Node, 104, done.Millis));

        var append = await DoAsync(store.Append(Request(node, 101, ["b"]) with { Guard = knownLater, NewEpoch = "e2" }));
        var old = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));
        var rejoin = await DoAsync(store.Join(new JoinRequest("e3", Settings, 500)));

        Assert.Multiple(() =>
        {
            Assert.That(append.Status, Is.EqualTo(StoreStatus.Lost));
            Assert.That(old.Status, Is.EqualTo(StoreStatus.Gone), "the old room is gone for everyone");
            Assert.That((rejoin.Epoch, rejoin.Newest, rejoin.Settings), Is.EqualTo(("e2", 0L, Settings)), "a new, empty room with the same settings");
        });
    }

    [Test]
    public async Task Guard_TheEntryTheNodeKnowsIsAnother_IsLost()
    {
        var (store, node) = await JoinedAsync();
        var done = await DoAsync(store.Append(Request(node, 100, ["a"])));
        var wrong = new Guard(1, new EntryId(node.Node, 999, done.Millis));

        var read = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, wrong, "e2")));

        Assert.That(read.Status, Is.EqualTo(StoreStatus.Lost));
    }

    [Test]
    public async Task Guard_TheEntryAsTheNodeKnowsIt_Holds()
    {
        var (store, node) = await JoinedAsync();
        var done = await DoAsync(store.Append(Request(node, 100, ["a"])));
        var known = new Guard(1, new EntryId(node.Node, 100, done.Millis));

        var read = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, known, "e2")));
        var append = await DoAsync(store.Append(Request(node, 101, ["b"]) with { Guard = known }));

        Assert.That((read.Status, append.Status), Is.EqualTo((StoreStatus.Done, StoreStatus.Done)));
    }

    [Test]
    public async Task Append_UnderANumberAnotherIncarnationHolds_IsLost()
    {
        var (store, node) = await JoinedAsync();

        var append = await DoAsync(store.Append(Request(node, 100, ["a"]) with { Incarnation = 7 }));

        Assert.That(append.Status, Is.EqualTo(StoreStatus.Lost));
    }

    [Test]
    public async Task Junk_PastTheNewestEntry_IsNeverRead_AndTheNextAppendRemovesItAndGoesOn()
    {
        var (store, node) = await JoinedAsync();
        await DoAsync(store.Append(Request(node, 100, ["a"])));
        await AddJunkAsync(store, 2);

        var before = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));
        var append = await DoAsync(store.Append(Request(node, 101, ["b"])));
        var after = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));

        Assert.Multiple(() =>
        {
            Assert.That(before.Entries.Select(e => e.Payload), Is.EqualTo(new[] { "a" }));
            Assert.That((append.Status, append.Start, append.Discarded), Is.EqualTo((StoreStatus.Done, 2L, 1)));
            Assert.That(after.Entries.Select(e => e.Payload), Is.EqualTo(new[] { "a", "b" }));
        });
    }

    [Test]
    public async Task Snapshot_OnlyANewerOne_IsKept_AndAJoinerGetsIt()
    {
        var (store, node) = await JoinedAsync();
        await DoAsync(store.Append(Request(node, 100, ["a", "b", "c"])));

        var kept = await DoAsync(store.Snapshot(new SnapshotRequest("e1", 2, "state at 2", TimeSpan.Zero)));
        var older = await DoAsync(store.Snapshot(new SnapshotRequest("e1", 1, "state at 1", TimeSpan.Zero)));
        var otherEpoch = await DoAsync(store.Snapshot(new SnapshotRequest("other", 3, "state at 3", TimeSpan.Zero)));
        var joiner = await DoAsync(store.Join(new JoinRequest("x", Settings, 500)));

        Assert.Multiple(() =>
        {
            Assert.That((kept, older, otherEpoch), Is.EqualTo((true, false, false)));
            Assert.That((joiner.SnapshotSeq, joiner.Snapshot, joiner.Newest), Is.EqualTo((2L, "state at 2", 3L)));
        });
    }

    [Test]
    public async Task Snapshot_TrimsOnlyWhatNeitherTheSnapshotBeforeNorTheRetentionNeeds()
    {
        var (store, node) = await JoinedAsync();
        await DoAsync(store.Append(Request(node, 100, ["1", "2", "3", "4", "5", "6"])));
        await DoAsync(store.Snapshot(new SnapshotRequest("e1", 2, "s2", TimeSpan.Zero)));

        await DoAsync(store.Snapshot(new SnapshotRequest("e1", 4, "s4", TimeSpan.FromHours(1))));
        var kept = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));
        await DoAsync(store.Snapshot(new SnapshotRequest("e1", 5, "s5", TimeSpan.Zero)));
        var trimmed = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));

        Assert.Multiple(() =>
        {
            Assert.That(kept.Entries.Select(e => e.Seq), Is.EqualTo(new[] { 1L, 2L, 3L, 4L, 5L, 6L }), "younger than the retention");
            Assert.That(trimmed.Entries.Select(e => e.Seq), Is.EqualTo(new[] { 5L, 6L }), "what follows the snapshot before (at 4) stays");
        });
    }

    [Test]
    public async Task Retire_AMember_AppendsTheRoomsOwnEntry_AndItMayAppendNoMore()
    {
        var (store, node) = await JoinedAsync();
        var other = await DoAsync(store.Join(new JoinRequest("x", Settings, 900)));

        var retired = await DoAsync(store.Retire(new RetireRequest("e1", other.Node)));
        var again = await DoAsync(store.Retire(new RetireRequest("e1", other.Node)));
        var append = await DoAsync(store.Append(Request(node with { Node = other.Node, Incarnation = 900 }, 900, ["a"])));
        var read = await DoAsync(store.Read(new ReadRequest("e1", 1, 10, Guard.None, "x")));

        Assert.Multiple(() =>
        {
            Assert.That((retired, again, append.Status), Is.EqualTo((true, false, StoreStatus.Retired)));
            Assert.That(read.Entries.Select(e => (e.Id.Node, RoomCodec.ReadEvent(e.Payload, e.Id.Node))), Is.EqualTo(new[] { (0L, (ChatEvent)new NodeRetired(other.Node)) }));
        });
    }

    [Test]
    public async Task Append_PublishesTheRangeItAppended()
    {
        var (store, node) = await JoinedAsync();

        var publications = await PublicationsAsync(store, async () =>
        {
            await DoAsync(store.Append(Request(node, 100, ["a", "b"])));
            await DoAsync(store.Append(Request(node, 102, ["c"])));
        });

        Assert.That(publications, Is.EqualTo(new[] { new Publication(1, 2, "e1"), new Publication(3, 1, "e1") }));
    }

    private protected static AppendRequest Request(Member node, long first, string[] payloads) =>
        new("e1", node.Node, first, Guard.None, "x", payloads) { Incarnation = node.Incarnation };

    private async Task<(IRoomStore Store, Member Node)> JoinedAsync()
    {
        var store = await StoreAsync();
        var joined = await DoAsync(store.Join(new JoinRequest("e1", Settings, 100)));
        return (store, new Member(joined.Node, 100));
    }

    private protected readonly record struct Member(long Node, long Incarnation);
}

/// <summary>The store's rules on the scripted store (in memory, virtual time).</summary>
public class ScriptedRoomStoreContractTests : RoomStoreContract
{
    private TestScheduler _scheduler = null!;
    private ScriptedRedis _redis = null!;

    [SetUp]
    public void Start()
    {
        _scheduler = new TestScheduler();
        _scheduler.AdvanceTo(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero).UtcTicks);
        _redis = new ScriptedRedis(_scheduler);
    }

    private protected override async Task<IRoomStore> StoreAsync()
    {
        var store = _redis.Connect("node");
        await DoAsync(store.Connect());
        return store;
    }

    private protected override Task<T> DoAsync<T>(IObservable<T> operation)
    {
        var result = operation.ToTask();
        _scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        return result;
    }

    private protected override Task AddJunkAsync(IRoomStore store, long seq)
    {
        _redis.AddJunk(seq);
        return Task.CompletedTask;
    }

    private protected override async Task<IReadOnlyList<Publication>> PublicationsAsync(IRoomStore store, Func<Task> during)
    {
        var seen = new List<Publication>();
        using var subscription = store.Publications.Subscribe(seen.Add);
        await during();
        _scheduler.AdvanceBy(TimeSpan.FromSeconds(1).Ticks);
        return seen;
    }
}

/// <summary>The store's rules on Redis: <see cref="RedisRoomStore"/> on a real <c>redis-server</c>.</summary>
[Category(Needs.Redis)]
[NonParallelizable]
[CancelAfter(30_000)]
public class RedisRoomStoreContractTests : RoomStoreContract
{
    private RedisServer _redis = null!;
    private readonly List<IRoomStore> _stores = [];
    private int _rooms;

    [OneTimeSetUp]
    public async Task StartRedis() => _redis = await RedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedis() => await _redis.DisposeAsync();

    [TearDown]
    public async Task Close()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        _stores.Clear();
    }

    private protected override async Task<IRoomStore> StoreAsync()
    {
        var options = new ChatServerOptions { Redis = _redis.Configuration, Room = $"contract{++_rooms}" };
        var store = new RedisRoomStore(options, System.Reactive.Concurrency.Scheduler.Default, NullLogger.Instance);
        _stores.Add(store);
        await DoAsync(store.Connect());
        return store;
    }

    private protected override async Task<T> DoAsync<T>(IObservable<T> operation) => await operation.FirstAsync();

    private protected override async Task AddJunkAsync(IRoomStore store, long seq) =>
        await _redis.ExecuteAsync("XADD", $"{{contract{_rooms}}}:log", $"{seq}-0", "junk", "1");

    private protected override async Task<IReadOnlyList<Publication>> PublicationsAsync(IRoomStore store, Func<Task> during)
    {
        var two = store.Publications.Take(2).ToList().ToTask();
        await during();
        return [.. await two.WaitAsync(TimeSpan.FromSeconds(10))];
    }
}
