namespace RxChat.Benchmarks;

/// <summary>
/// Counts down the lines a benchmark step expects its writers to receive, from any thread, and lets the
/// benchmark wait until all of them arrived.
/// </summary>
internal sealed class Tally
{
    private readonly ManualResetEventSlim _done = new(initialState: true);
    private long _remaining;

    /// <summary>Starts a step that expects <paramref name="lines"/> lines in all; call before sending them.</summary>
    public void Expect(long lines)
    {
        _done.Reset();
        Volatile.Write(ref _remaining, lines);
        if (lines == 0)
        {
            _done.Set();
        }
    }

    /// <summary>One line arrived at some writer.</summary>
    public void Count()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.Set();
        }
    }

    /// <summary>Waits until every expected line arrived; fails after <paramref name="timeout"/>.</summary>
    public void Wait(TimeSpan timeout)
    {
        if (!_done.Wait(timeout))
        {
            throw new TimeoutException($"{Volatile.Read(ref _remaining)} expected lines did not arrive within {timeout}.");
        }
    }
}
