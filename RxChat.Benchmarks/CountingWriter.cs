using RxChat.Core;

namespace RxChat.Benchmarks;

/// <summary>A connection's writer that only counts the lines it receives: the fan-out without a socket.</summary>
internal sealed class CountingWriter(Tally tally) : IObserver<OutgoingLine>
{
    public void OnNext(OutgoingLine value) => tally.Count();

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }
}
