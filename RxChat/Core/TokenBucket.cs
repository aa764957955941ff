namespace RxChat.Core;

/// <summary>
/// One client's send-rate limit (PROTOCOL.md, Limits and bad input, send rate): a bucket of at most
/// <c>burst</c> tokens, refilled at <c>rate</c> tokens a second of scheduler time; every complete line takes one.
/// A value: the fold keeps the latest in the client set.
/// </summary>
/// <param name="Tokens">Tokens left; a new bucket is full.</param>
/// <param name="LastRefill">When the bucket was last refilled; null before the first line.</param>
/// <param name="Warned">The client was told <c>error: slow down</c> and no line has been accepted since.</param>
internal readonly record struct TokenBucket(double Tokens, DateTimeOffset? LastRefill, bool Warned)
{
    /// <summary>Takes a token for a line at <paramref name="at"/>; returns the new bucket and whether there was one.</summary>
    public (TokenBucket Bucket, bool Taken) Take(DateTimeOffset at, double rate, int burst)
    {
        var tokens = LastRefill is { } last
            ? Math.Min(burst, Tokens + (Math.Max(0, (at - last).Ticks) / (double)TimeSpan.TicksPerSecond * rate))
            : burst;
        return tokens >= 1
            ? (this with { Tokens = tokens - 1, LastRefill = at }, true)
            : (this with { Tokens = tokens, LastRefill = at }, false);
    }
}
