using System.Diagnostics;
using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;

namespace RxChat.Tests.Core;

/// <summary>
/// The writer scheduler: a trampoline on the calling thread with a budget per run, the rest handed to one
/// thread-pool work item. Deterministic: each test drives the scheduler from its own thread and waits for a
/// condition with a timeout, never for time to pass.
/// </summary>
[CancelAfter(30_000)]
public class WriterSchedulerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Test]
    public void Schedule_NothingRunning_RunsAtOnceOnTheCallingThread()
    {
        var scheduler = new WriterScheduler(new TestScheduler());
        var thread = -1;

        scheduler.Schedule(() => thread = Environment.CurrentManagedThreadId);

        Assert.That(thread, Is.EqualTo(Environment.CurrentManagedThreadId));
    }

    [Test]
    public void Schedule_FromInsideAnAction_RunsAfterItAndWhatWasScheduledBefore()
    {
        var scheduler = new WriterScheduler(new TestScheduler());
        var order = new List<string>();

        scheduler.Schedule(() =>
        {
            scheduler.Schedule(() => order.Add("second"));
            scheduler.Schedule(() =>
            {
                order.Add("third");
                scheduler.Schedule(() => order.Add("fifth"));
            });
            scheduler.Schedule(() => order.Add("fourth"));
            order.Add("first");
        });

        Assert.That(order, Is.EqualTo(new[] { "first", "second", "third", "fourth", "fifth" }));
    }

    [Test]
    public void Schedule_QueuedActionDisposedBeforeItRuns_IsSkipped()
    {
        var scheduler = new WriterScheduler(new TestScheduler());
        var ran = new List<string>();

        scheduler.Schedule(() =>
        {
            scheduler.Schedule(() => ran.Add("cancelled")).Dispose();
            scheduler.Schedule(() => ran.Add("kept"));
        });

        Assert.That(ran, Is.EqualTo(new[] { "kept" }));
    }

    [Test]
    public void Schedule_WithDueTime_WaitsOnTheTimerScheduler()
    {
        var timers = new TestScheduler();
        var scheduler = new WriterScheduler(timers);
        var ran = false;

        scheduler.Schedule(TimeSpan.FromSeconds(5), () => ran = true);
        timers.AdvanceBy(TimeSpan.FromSeconds(5).Ticks - 1);
        var before = ran;
        timers.AdvanceBy(1);

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.False);
            Assert.That(ran, Is.True);
            Assert.That(scheduler.Now, Is.EqualTo(timers.Now));
        });
    }

    [Test]
    public void Run_LongerThanTheBudget_HandsTheRestToOnePoolWorkItem()
    {
        const int budget = 10, chain = 100;
        var scheduler = new WriterScheduler(new TestScheduler(), budget);
        var ran = 0;
        var threads = new HashSet<int>();
        using var done = new ManualResetEventSlim();

        // A chain of actions each scheduling the next: a backlog that would otherwise hold this thread.
        void Step()
        {
            lock (threads)
            {
                threads.Add(Environment.CurrentManagedThreadId);
            }

            if (Interlocked.Increment(ref ran) < chain)
            {
                scheduler.Schedule(Step);
            }
            else
            {
                done.Set();
            }
        }

        scheduler.Schedule(Step);
        var ranOnCaller = Volatile.Read(ref ran);

        Assert.Multiple(() =>
        {
            Assert.That(ranOnCaller, Is.EqualTo(budget), "the caller's run stops at the budget");
            Assert.That(done.Wait(Timeout), Is.True, "the rest runs on the pool");
            Assert.That(ran, Is.EqualTo(chain));
            Assert.That(threads, Has.Count.GreaterThan(1));
        });
    }

    [Test]
    public void Run_LongBacklogOfOneObserver_DoesNotStarveAnotherThreadsDelivery()
    {
        // One writer's backlog is handed to the pool in budgets; another thread's delivery to another writer
        // runs at once on that thread while the backlog is still draining.
        var scheduler = new WriterScheduler(new TestScheduler(), budget: 4);
        using var release = new ManualResetEventSlim();
        using var blocked = new ManualResetEventSlim();
        var slowSubject = new Subject<int>();
        var slowSeen = 0;
        using var slow = slowSubject.ObserveOn(scheduler).Subscribe(i =>
        {
            if (Interlocked.Increment(ref slowSeen) == 5)
            {
                // Holds the pool work item that carries the backlog.
                blocked.Set();
                release.Wait(Timeout);
            }
        });
        scheduler.Schedule(() =>
        {
            // Lines queued inside a run: a backlog for this observer on this trampoline.
            for (var i = 0; i < 100; i++)
            {
                slowSubject.OnNext(i);
            }
        });
        Assert.That(blocked.Wait(Timeout), Is.True, "the backlog went on on the pool");

        var fastThread = -1;
        var fastSubject = new Subject<int>();
        using var fast = fastSubject.ObserveOn(scheduler).Subscribe(_ => fastThread = Environment.CurrentManagedThreadId);
        var caller = new Thread(() => fastSubject.OnNext(1));
        caller.Start();
        var joined = caller.Join(Timeout);
        release.Set();

        Assert.Multiple(() =>
        {
            Assert.That(joined, Is.True);
            Assert.That(fastThread, Is.EqualTo(caller.ManagedThreadId), "delivered at once on its own thread");
        });
    }

    [Test]
    public void ObserveOn_SerialisedProducersOnManyThreads_OneObserversLinesNeverOverlapOrReorder()
    {
        const int producers = 8, lines = 5_000;
        var scheduler = new WriterScheduler(new TestScheduler(), budget: 16);
        var source = new Subject<(int Producer, int Seq)>();
        var inside = 0;
        var overlaps = 0;
        var next = new int[producers];
        var outOfOrder = 0;
        var received = 0;
        using var done = new ManualResetEventSlim();
        using var subscription = source.Synchronize().ObserveOn(scheduler).Subscribe(item =>
        {
            if (Interlocked.Increment(ref inside) != 1)
            {
                Interlocked.Increment(ref overlaps);
            }

            if (next[item.Producer] != item.Seq)
            {
                outOfOrder++;
            }

            next[item.Producer] = item.Seq + 1;
            Thread.SpinWait(20);
            Interlocked.Decrement(ref inside);
            if (++received == producers * lines)
            {
                done.Set();
            }
        });

        using var start = new Barrier(producers);
        var threads = Enumerable.Range(0, producers).Select(p => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < lines; i++)
            {
                source.OnNext((p, i));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Multiple(() =>
        {
            Assert.That(done.Wait(Timeout), Is.True);
            Assert.That(overlaps, Is.Zero, "never two deliveries at once");
            Assert.That(outOfOrder, Is.Zero, "each producer's lines in its order");
        });
    }

    [Test]
    public void ObserveOn_TwoThousandSubscribers_StartNoThread()
    {
        var scheduler = new WriterScheduler(DefaultScheduler.Instance);
        var broadcast = new Subject<int>();
        var delivered = 0;
        var before = Process.GetCurrentProcess().Threads.Count;
        using var subscriptions = new CompositeDisposable(Enumerable.Range(0, 2_000)
            .Select(_ => broadcast.ObserveOn(scheduler).Subscribe(_ => Interlocked.Increment(ref delivered))));

        for (var i = 0; i < 10; i++)
        {
            broadcast.OnNext(i);
        }

        var after = Process.GetCurrentProcess().Threads.Count;
        Assert.Multiple(() =>
        {
            Assert.That(delivered, Is.EqualTo(20_000), "every line delivered inside OnNext");
            Assert.That(after - before, Is.LessThan(10), "no thread per subscriber (2,000 would be one each)");
        });
    }

    [Test]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new WriterScheduler(null!), Throws.ArgumentNullException);
            Assert.That(() => new WriterScheduler(new TestScheduler(), 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }
}
