using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Rooms;
using RxChat.Tests.Support;

namespace RxChat.Tests.Rooms;

/// <summary>
/// What the broadcaster relies on from the room's log (<see cref="IRoomLog"/>), one suite run on every log: the room of
/// one process (<see cref="InProcessRoomLog"/>), and the room shared through a store (<see cref="SharedRoomLog"/>) on
/// the scripted store and on a real <c>redis-server</c>.
/// </summary>
public abstract class RoomLogContract
{
    /// <summary>A log ready to take this node's events.</summary>
    private protected abstract Task<IRoomLog> LogAsync();

    /// <summary>Waits (in whatever time the log runs) until <paramref name="condition"/> holds.</summary>
    private protected abstract Task UntilAsync(Func<bool> condition);

    [Test]
    public async Task Ready_Completes()
    {
        var log = await LogAsync();
        using var _ = log.Order(Observable.Never<Admitted>()).Subscribe();

        await UntilAsync(() => log.Ready.IsCompleted);

        Assert.That(log.Ready.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task OwnEvents_ComeBackInOrder_AsTheSameObjects_NumberedUpward()
    {
        var (log, input, entries) = await StartAsync();
        ChatEvent[] sent = [new LineReceived(new ConnectionId(1), "one"), new LineReceived(new ConnectionId(1), "two"), new ClientLeft(new ConnectionId(1), DisconnectReason.Quit)];
        foreach (var e in sent)
        {
            input.OnNext(new Admitted(e, Local: false));
        }

        await UntilAsync(() => Own(entries).Count >= 3);
        var own = Own(entries);

        Assert.Multiple(() =>
        {
            Assert.That(own.Select(e => e.Event.Id.Value), Is.EqualTo(new[] { 1L, 1L, 1L }));
            Assert.That(own.Select(e => e.Event switch { LineReceived l => l.Line.Text, _ => "left" }), Is.EqualTo(new[] { "one", "two", "left" }));
            Assert.That(own.Select(e => e.Seq), Is.Ordered.Ascending.And.Unique);
            Assert.That(own.All(e => !e.Local), Is.True);
        });
    }

    [Test]
    public async Task LocalEvent_ComesAfterTheRoomEventsSentBeforeIt_AndBeforeThoseAfter()
    {
        var (log, input, entries) = await StartAsync();
        input.OnNext(new Admitted(new LineReceived(new ConnectionId(1), "before"), Local: false));
        input.OnNext(new Admitted(new LineRefused(new ConnectionId(1), ErrorKind.SlowDown, "error: slow down"), Local: true));
        input.OnNext(new Admitted(new LineReceived(new ConnectionId(1), "after"), Local: false));

        await UntilAsync(() => Mine(entries).Count >= 3);

        Assert.That(Mine(entries).Select(e => e.Event switch { LineReceived l => l.Line.Text, LineRefused r => r.Error, _ => "?" }),
            Is.EqualTo(new[] { "before", "error: slow down", "after" }));
    }

    [Test]
    public async Task InputCompletes_TheLogCompletes()
    {
        var (log, input, entries) = await StartAsync();
        var completed = false;
        using var _ = log.Order(Observable.Empty<Admitted>()).Subscribe(_ => { }, () => completed = true);

        await UntilAsync(() => completed);

        Assert.That(completed, Is.True);
    }

    private async Task<(IRoomLog Log, Subject<Admitted> Input, List<RoomEntry> Entries)> StartAsync()
    {
        var log = await LogAsync();
        var input = new Subject<Admitted>();
        var entries = new List<RoomEntry>();
        log.Order(input).Subscribe(e =>
        {
            lock (entries)
            {
                entries.Add(e);
            }
        });
        await UntilAsync(() => log.Ready.IsCompleted);
        return (log, input, entries);
    }

    // This node's room events (connection 1's), without the heartbeats and the room's own entries.
    private static List<RoomEntry> Own(List<RoomEntry> entries)
    {
        lock (entries)
        {
            return [.. entries.Where(e => !e.Local && e.Event.Id.Value == 1)];
        }
    }

    private static List<RoomEntry> Mine(List<RoomEntry> entries)
    {
        lock (entries)
        {
            return [.. entries.Where(e => e.Event.Id.Value == 1)];
        }
    }
}

/// <summary>The contract on the room of one process.</summary>
public class InProcessRoomLogContractTests : RoomLogContract
{
    private readonly TestScheduler _scheduler = new();

    private protected override Task<IRoomLog> LogAsync() => Task.FromResult<IRoomLog>(new InProcessRoomLog(_scheduler));

    private protected override Task UntilAsync(Func<bool> condition)
    {
        _scheduler.Start();
        return Task.CompletedTask;
    }
}

/// <summary>The contract on the shared log over the scripted store, in virtual time.</summary>
public class ScriptedSharedRoomLogContractTests : RoomLogContract
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

    private protected override Task<IRoomLog> LogAsync() => Task.FromResult<IRoomLog>(
        new SharedRoomLog(new ChatServerOptions { Redis = "scripted", Room = "contract" }, _redis.Connect("node"), _scheduler, _scheduler, NullLogger.Instance, metrics: null, new Random(1)));

    private protected override Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            _scheduler.AdvanceBy(TimeSpan.FromMilliseconds(10).Ticks);
        }

        return Task.CompletedTask;
    }
}

/// <summary>The contract on the shared log over Redis: a real <c>redis-server</c>.</summary>
[Category(Needs.Redis)]
[NonParallelizable]
[CancelAfter(30_000)]
public class RedisSharedRoomLogContractTests : RoomLogContract
{
    private RedisServer _redis = null!;
    private readonly List<SharedRoomLog> _logs = [];
    private int _rooms;

    [OneTimeSetUp]
    public async Task StartRedis() => _redis = await RedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedis() => await _redis.DisposeAsync();

    [TearDown]
    public async Task Close()
    {
        foreach (var log in _logs)
        {
            await log.DisposeAsync();
        }

        _logs.Clear();
    }

    private protected override Task<IRoomLog> LogAsync()
    {
        var options = new ChatServerOptions { Redis = _redis.Configuration, Room = $"logcontract{++_rooms}" };
        var log = SharedRoomLog.OnRedis(options, System.Reactive.Concurrency.Scheduler.Default, NullLogger.Instance, metrics: null);
        _logs.Add(log);
        return Task.FromResult<IRoomLog>(log);
    }

    // A real store answers in real time: the condition is awaited with a deadline.
    private protected override Task UntilAsync(Func<bool> condition) =>
        Task.Run(() => Assert.That(SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(10)), Is.True, "the condition never held"));
}
