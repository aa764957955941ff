using System.Reactive.Concurrency;

namespace RxChat.Core;

/// <summary>The schedulers a production server uses; tests pass a <c>TestScheduler</c> instead.</summary>
public static class ChatSchedulers
{
    /// <summary>
    /// The writer scheduler: a <see cref="WriterScheduler"/> (a trampoline on the calling thread, handing a backlog
    /// over 1,024 actions to the thread pool), so that a line reaches each writer's outbox inside the broadcaster's
    /// step, with no thread hop and no thread per client. Plain <c>ObserveOn(ThreadPoolScheduler.Instance)</c> parks
    /// a dedicated thread per subscription (2,000 clients, 2,008 threads), and <see cref="Pool"/> delivers one line
    /// per work item.
    /// </summary>
    public static IScheduler Writers { get; } = new WriterScheduler(DefaultScheduler.Instance);

    /// <summary>
    /// The thread pool with <see cref="ISchedulerLongRunning"/> disabled, so that each subscription's queue drains as
    /// short work items on the shared pool instead of a thread of its own; where in-process clients (bots) hear their
    /// lines, off the broadcaster's thread.
    /// </summary>
    public static IScheduler Pool { get; } = ThreadPoolScheduler.Instance.DisableOptimizations(typeof(ISchedulerLongRunning));

    /// <summary>The source of time: <see cref="DefaultScheduler"/>, the system clock with thread-pool timers.</summary>
    public static IScheduler Time => DefaultScheduler.Instance;
}
