using System.Reactive.Concurrency;

namespace RxChat.Core;

/// <summary>The schedulers a production server uses; tests pass a <c>TestScheduler</c> instead.</summary>
public static class ChatSchedulers
{
    /// <summary>
    /// The writer scheduler: the thread pool with <see cref="ISchedulerLongRunning"/> disabled. Plain
    /// <c>ObserveOn(ThreadPoolScheduler.Instance)</c> parks a dedicated thread per subscription (2,000 clients,
    /// 2,008 threads); without the long-running optimisation each writer's queue drains as short work items on
    /// the shared pool.
    /// </summary>
    public static IScheduler Writers { get; } = ThreadPoolScheduler.Instance.DisableOptimizations(typeof(ISchedulerLongRunning));

    /// <summary>The source of time: <see cref="DefaultScheduler"/>, the system clock with thread-pool timers.</summary>
    public static IScheduler Time => DefaultScheduler.Instance;
}
