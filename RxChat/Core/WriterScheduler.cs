using System.Reactive.Concurrency;
using System.Reactive.Disposables;

namespace RxChat.Core;

/// <summary>
/// The scheduler that each connection's writer observes its lines on (<c>ObserveOn(writerScheduler)</c>), made so
/// that handing a line to a writer is a call, not a thread hop: an action scheduled for now runs at once on the
/// calling thread, as a trampoline (actions scheduled while one runs on the same thread wait until it returns,
/// first in, first out, as on <see cref="CurrentThreadScheduler"/>). A trampoline run does at most
/// <see cref="Budget"/> actions; what is left then moves to one thread-pool work item, which carries on with the
/// same budget and moves again if it must, so a long backlog never holds a thread (the broadcaster's included) for
/// long and never delays what other threads schedule.
/// </summary>
/// <remarks>
/// <para>
/// Rx's <c>ObserveOn</c> on a scheduler without <see cref="ISchedulerLongRunning"/> delivers one element per
/// scheduled action and schedules the next through the scheduler it was handed; on the thread pool that is one work
/// item per line per connection (docs/design.md, The writer scheduler, and one thread per client). Here the
/// element is delivered inside the call that produced it, so the writer (which only copies the line into its outbox
/// and never blocks) runs on the broadcaster's thread, and the outbox decides when the bytes go to the socket. <c>ObserveOn</c>'s own counter
/// keeps one observer's elements in order and never concurrent, whatever thread they come from.
/// </para>
/// <para>
/// Never starts a thread of its own and offers no <see cref="ISchedulerLongRunning"/>: 2,000 subscribers cost no
/// thread at all. Actions with a due time wait on <c>timers</c>, then run here. An action that has run cannot be
/// cancelled; one still waiting in a trampoline or on the pool is skipped if its disposable is disposed first.
/// Writers must never block or call back into the chat synchronously: they run inside the broadcaster's step.
/// </para>
/// </remarks>
public sealed class WriterScheduler : IScheduler
{
    // The trampoline of the thread, shared by every WriterScheduler: "run after the current action" means the same
    // thing whichever instance asked.
    [ThreadStatic]
    private static Trampoline? t_trampoline;

    private readonly IScheduler _timers;

    /// <summary>Creates the scheduler.</summary>
    /// <param name="timers">Where actions with a due time wait (and the source of <see cref="Now"/>).</param>
    /// <param name="budget">Actions one trampoline run does before it moves the rest to the thread pool; at least 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="timers"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="budget"/> is less than 1.</exception>
    public WriterScheduler(IScheduler timers, int budget = 1024)
    {
        ArgumentNullException.ThrowIfNull(timers);
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 1);
        _timers = timers;
        Budget = budget;
    }

    /// <summary>Actions one trampoline run does before the rest move to a thread-pool work item.</summary>
    public int Budget { get; }

    /// <summary>The time of the timer scheduler.</summary>
    public DateTimeOffset Now => _timers.Now;

    /// <summary>
    /// Runs <paramref name="action"/> now on this thread, or, if an action of this scheduler is already running on
    /// this thread, right after it and whatever was scheduled before it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is null.</exception>
    public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var trampoline = t_trampoline ??= new Trampoline();
        if (trampoline.IsRunning)
        {
            var work = new Work<TState>(this, state, action);
            trampoline.Enqueue(work);
            return work;
        }

        trampoline.Run(this, state, action);
        return Disposable.Empty;
    }

    /// <summary>Runs <paramref name="action"/> here once <paramref name="dueTime"/> has passed on the timer scheduler.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is null.</exception>
    public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return dueTime <= TimeSpan.Zero
            ? Schedule(state, action)
            : _timers.Schedule((Self: this, State: state, Action: action), dueTime, static (_, s) => s.Self.Schedule(s.State, s.Action));
    }

    /// <summary>Runs <paramref name="action"/> here at <paramref name="dueTime"/> on the timer scheduler's clock.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="action"/> is null.</exception>
    public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, dueTime - Now, action);

    /// <summary>An action waiting in a trampoline or on the pool; disposing it before it runs skips it.</summary>
    private abstract class Pending : IDisposable
    {
        private int _disposed;

        public void Dispose() => Volatile.Write(ref _disposed, 1);

        public void Invoke()
        {
            if (Volatile.Read(ref _disposed) == 0)
            {
                Run();
            }
        }

        protected abstract void Run();
    }

    private sealed class Work<TState>(WriterScheduler scheduler, TState state, Func<IScheduler, TState, IDisposable> action) : Pending
    {
        protected override void Run() => action(scheduler, state);
    }

    /// <summary>
    /// One thread's run of actions, first in, first out. At most <see cref="Budget"/> per run; the rest become a
    /// <see cref="Batch"/> on the thread pool.
    /// </summary>
    private sealed class Trampoline
    {
        private readonly Queue<Pending> _queue = new();

        public bool IsRunning { get; private set; }

        public void Enqueue(Pending work) => _queue.Enqueue(work);

        public void Run<TState>(WriterScheduler scheduler, TState state, Func<IScheduler, TState, IDisposable> action)
        {
            IsRunning = true;
            try
            {
                action(scheduler, state);
                RunQueued(scheduler.Budget - 1);
            }
            finally
            {
                IsRunning = false;
                HandOff(scheduler.Budget);
            }
        }

        // Runs a batch handed over from another thread, on this pool thread.
        public void Run(Batch batch)
        {
            IsRunning = true;
            try
            {
                foreach (var work in batch.Works)
                {
                    _queue.Enqueue(work);
                }

                RunQueued(batch.Budget);
            }
            finally
            {
                IsRunning = false;
                HandOff(batch.Budget);
            }
        }

        private void RunQueued(int budget)
        {
            for (var done = 0; done < budget && _queue.TryDequeue(out var work); done++)
            {
                work.Invoke();
            }
        }

        // Whatever is still queued (over budget, or after an action threw) goes on in one thread-pool work item.
        private void HandOff(int budget)
        {
            if (_queue.Count > 0)
            {
                ThreadPool.UnsafeQueueUserWorkItem(new Batch([.. _queue], budget), preferLocal: false);
                _queue.Clear();
                if (_queue.EnsureCapacity(0) > 64)
                {
                    _queue.TrimExcess();
                }
            }
        }
    }

    /// <summary>Actions moved to the thread pool: they run there, in order, as a trampoline of their own.</summary>
    private sealed class Batch(Pending[] works, int budget) : IThreadPoolWorkItem
    {
        public Pending[] Works { get; } = works;

        public int Budget { get; } = budget;

        public void Execute()
        {
            var trampoline = t_trampoline ??= new Trampoline();
            if (trampoline.IsRunning)
            {
                // Run from inside an action of this thread (a pool thread helping synchronously): queue behind it.
                foreach (var work in Works)
                {
                    trampoline.Enqueue(work);
                }

                return;
            }

            trampoline.Run(this);
        }
    }
}
