namespace RxChat.Benchmarks;

/// <summary>Where the fan-out benchmark's writers receive their lines (the broadcaster's writer scheduler).</summary>
public enum WriterKind
{
    /// <summary>
    /// <c>CurrentThreadScheduler</c>: every <c>ObserveOn</c> hop runs inline on the benchmark thread (it is not on
    /// a trampoline, so each hop runs at once), so the figures are the core's own CPU time and allocations per
    /// delivered line, deterministic and free of thread-pool noise. Each line is its own <c>ObserveOn</c> drain.
    /// Not <c>ImmediateScheduler</c>: as an <c>ObserveOn</c> target it costs about 1.8 µs and 510 B per line by
    /// itself (it builds an <c>AsyncLockScheduler</c> per call), ten times the rest of the fan-out.
    /// </summary>
    CurrentThread,

    /// <summary>
    /// <c>ChatSchedulers.Writers</c>, what the server runs: the thread pool without long-running threads. Adds the
    /// thread hop, the pool's work items and the <c>ObserveOn</c> queues; allocations on pool threads count too.
    /// </summary>
    ThreadPool,
}
