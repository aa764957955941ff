using System.Reactive.Concurrency;
using RxChat.Core;

namespace RxChat.Benchmarks;

/// <summary>The writer schedulers tried at the edge between the broadcaster and each connection's writer.</summary>
public enum WriterKind
{
    /// <summary>
    /// <c>ChatSchedulers.Writers</c>, what the server runs: a <see cref="Core.WriterScheduler"/>, a trampoline on the
    /// calling thread with a budget, so each line reaches the writer inside the broadcaster's call.
    /// </summary>
    Writers,

    /// <summary>
    /// <c>CurrentThreadScheduler</c>: Rx's own trampoline, for comparison (inline as well when not nested).
    /// </summary>
    CurrentThread,

    /// <summary>
    /// <c>ChatSchedulers.Pool</c>, the server's writer scheduler before: the thread pool without long-running
    /// threads. Rx's <c>ObserveOn</c> then delivers one line per work item; allocations on pool threads count too.
    /// </summary>
    Pool,

    /// <summary>One shared <c>EventLoopScheduler</c> (one dedicated thread for every writer).</summary>
    EventLoop,
}

/// <summary>The scheduler of each <see cref="WriterKind"/>.</summary>
internal static class WriterKinds
{
    private static readonly Lazy<EventLoopScheduler> SharedLoop = new(() => new EventLoopScheduler());

    public static IScheduler Of(WriterKind kind) => kind switch
    {
        WriterKind.Writers => ChatSchedulers.Writers,
        WriterKind.CurrentThread => CurrentThreadScheduler.Instance,
        WriterKind.Pool => ChatSchedulers.Pool,
        WriterKind.EventLoop => SharedLoop.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
