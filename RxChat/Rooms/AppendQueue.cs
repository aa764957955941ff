namespace RxChat.Rooms;

/// <summary>
/// What this node has for the room's log and the store has not taken yet: events waiting, in order, each with this
/// node's sequence number; the one batch under way (batches go one at a time, so that they land in order); the batch
/// to send again after a failure, as it was (the store drops a repeat), and when. Bounded: past
/// <see cref="MaxEntries"/> events or <see cref="MaxChars"/> characters waiting, a chat line is refused (its sender is
/// told to slow down), while arrivals, departures and heartbeats are always taken. No I/O, no clock (time is passed
/// in): one of <see cref="SharedRoomLog"/>'s decision parts, tested with tables.
/// </summary>
/// <param name="maxEntries">Events that may wait.</param>
/// <param name="maxChars">Characters of payload that may wait (a character of a string is two bytes of memory).</param>
/// <param name="batchSize">Events in one batch at most.</param>
internal sealed class AppendQueue(int maxEntries, long maxChars, int batchSize)
{
    private readonly Queue<Outgoing> _waiting = new();
    private Outgoing[]? _retry;
    private long _chars;

    /// <summary>Events that may wait.</summary>
    public int MaxEntries => maxEntries;

    /// <summary>Characters of payload that may wait.</summary>
    public long MaxChars => maxChars;

    /// <summary>Events waiting or under way.</summary>
    public int Count { get; private set; }

    /// <summary>The batch under way; null when none.</summary>
    public Outgoing[]? InFlight { get; private set; }

    /// <summary>When the batch that failed is to be sent again; null when none failed.</summary>
    public DateTimeOffset? RetryAt { get; private set; }

    /// <summary>A batch failed and waits to be sent again: the store is not taking this node's events.</summary>
    public bool Failing => _retry is not null;

    /// <summary>The sequence number the next event gets.</summary>
    public long NextNodeSeq { get; private set; } = 1;

    /// <summary>When the last batch was sent.</summary>
    public DateTimeOffset LastSent { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>The node's last batch (it stops) was taken: nothing more is.</summary>
    public bool Closed { get; private set; }

    /// <summary>Starts over under a new node number: nothing waits, nothing is under way, numbers go on from <paramref name="firstNodeSeq"/>.</summary>
    public void Reset(long firstNodeSeq)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(firstNodeSeq);
        _waiting.Clear();
        _retry = null;
        _chars = 0;
        Count = 0;
        InFlight = null;
        RetryAt = null;
        Closed = false;
        NextNodeSeq = firstNodeSeq;
    }

    /// <summary>
    /// Queues one event: returns its sequence number, or null when it is not taken (a bounded event with the queue
    /// full, or anything after the last batch).
    /// </summary>
    /// <param name="payload">The event as the log keeps it.</param>
    /// <param name="bounded">A chat line, which the bound may refuse; other events are always taken.</param>
    /// <param name="last">The node's last event (its stop): nothing is taken after it.</param>
    public long? Add(string payload, bool bounded, bool last = false)
    {
        if (Closed || (bounded && IsFull))
        {
            return null;
        }

        var item = new Outgoing(NextNodeSeq++, payload, last);
        _waiting.Enqueue(item);
        _chars += payload.Length;
        Count++;
        Closed = last;
        return item.NodeSeq;
    }

    /// <summary>Whether a chat line would be refused now.</summary>
    public bool IsFull => Count >= maxEntries || _chars >= maxChars;

    /// <summary>How full the queue is: the larger of its share of <see cref="MaxEntries"/> and of <see cref="MaxChars"/> (1: full).</summary>
    public double Fill => Math.Max(Count / (double)maxEntries, _chars / (double)maxChars);

    /// <summary>
    /// The batch to send now, or null: one is under way, or the one that failed is not due again, or nothing waits.
    /// The batch is then under way until <see cref="Done"/> or <see cref="Failed"/>.
    /// </summary>
    public Outgoing[]? Next(DateTimeOffset now)
    {
        if (InFlight is not null)
        {
            return null;
        }

        Outgoing[] batch;
        if (_retry is { } retry)
        {
            if (now < RetryAt)
            {
                return null;
            }

            batch = retry;
        }
        else if (_waiting.Count > 0)
        {
            // Nothing is taken after the last event, so it ends its batch.
            batch = new Outgoing[Math.Min(batchSize, _waiting.Count)];
            for (var i = 0; i < batch.Length; i++)
            {
                batch[i] = _waiting.Dequeue();
            }
        }
        else
        {
            return null;
        }

        InFlight = batch;
        LastSent = now;
        return batch;
    }

    /// <summary>The store took <paramref name="batch"/> (or had it already); false if it is not the batch under way.</summary>
    public bool Done(Outgoing[] batch)
    {
        if (!ReferenceEquals(batch, InFlight))
        {
            return false;
        }

        InFlight = null;
        _retry = null;
        RetryAt = null;
        Count -= batch.Length;
        _chars -= batch.Sum(b => (long)b.Payload.Length);
        return true;
    }

    /// <summary>
    /// <paramref name="batch"/> failed (it may or may not have landed): it is sent again as it is, first, from
    /// <paramref name="retryAt"/>; false if it is not the batch under way.
    /// </summary>
    public bool Failed(Outgoing[] batch, DateTimeOffset retryAt)
    {
        if (!ReferenceEquals(batch, InFlight))
        {
            return false;
        }

        InFlight = null;
        _retry = batch;
        RetryAt = retryAt;
        return true;
    }

    /// <summary>The batch that failed may go again at once (the store is back).</summary>
    public void RetryNow()
    {
        if (_retry is not null)
        {
            RetryAt = DateTimeOffset.MinValue;
        }
    }

    /// <summary>
    /// Whether a quiet node should say it is alive: nothing waits or is under way, and half a heartbeat has passed
    /// since the last batch (checked once a heartbeat, this says so every heartbeat in which nothing else was sent).
    /// </summary>
    public bool HeartbeatDue(DateTimeOffset now, TimeSpan heartbeat) =>
        !Closed && InFlight is null && _retry is null && _waiting.Count == 0 && now - LastSent >= heartbeat / 2;
}

/// <summary>An event of this node's on its way to the log.</summary>
/// <param name="NodeSeq">This node's sequence number for it.</param>
/// <param name="Payload">The event as the log keeps it.</param>
/// <param name="Last">The node's last event.</param>
internal sealed record Outgoing(long NodeSeq, string Payload, bool Last);
