namespace RxChat.Rooms;

/// <summary>
/// Where this node is in the room's log, and what it knows of it: the next entry to fold, the newest entry known to
/// exist, and the newest entry whose content it knows (its <see cref="Guard"/>). Decides when to read and checks what a
/// read brings. No I/O, no clock: one of <see cref="SharedRoomLog"/>'s decision parts, tested with tables.
/// </summary>
/// <remarks>
/// Entries are folded only once the log has them: from a read (which returns only what the room wrote), or, for this
/// node's own batch, from the store's answer to the append, when it is the next one to fold. A publication only says
/// that entries exist (<see cref="Hint"/>); a read then fetches them. Invariants: <see cref="Expected"/> only grows
/// until <see cref="Reset"/>; <see cref="Guard"/>'s sequence number only grows; at most one read is under way.
/// </remarks>
internal sealed class Sequencer
{
    // This node's batches that the store took and that are not folded yet, oldest first: folded from here, without a
    // read, once they are next.
    private readonly Queue<OwnBatch> _own = new();

    // The newest entry claimed since the read under way began: not yet seen by it.
    private long _claimedDuringRead;

    /// <summary>The next entry to fold (1 for a new room).</summary>
    public long Expected { get; private set; } = 1;

    /// <summary>The newest entry known to exist: from publications, appends and reads.</summary>
    public long Known { get; private set; }

    /// <summary>The newest entry whose content this node knows (it folded it, or the store appended it for this node).</summary>
    public Guard Guard { get; private set; }

    /// <summary>A read is under way.</summary>
    public bool Reading { get; private set; }

    /// <summary>Entries known to exist and not folded yet.</summary>
    public long Lag => Math.Max(0, Known - Expected + 1);

    /// <summary>Whether a read should start: none is under way, and an entry is known that is neither folded nor this node's.</summary>
    public bool ShouldRead => !Reading && Known >= Expected && !OwnIsNext;

    // Whether the next entry is in one of this node's batches. Batches folded from a read before their answer was
    // looked at stay queued until OwnNext drops them, and a batch may be folded in part: the first batch not wholly
    // folded holds the next entry if it starts at or before it.
    private bool OwnIsNext
    {
        get
        {
            foreach (var batch in _own)
            {
                if (batch.Start + batch.Payloads.Count > Expected)
                {
                    return batch.Start <= Expected;
                }
            }

            return false;
        }
    }

    /// <summary>Starts over in a room (or the same room under a new number is not a reset): the next entry to fold is <paramref name="expected"/>.</summary>
    public void Reset(long expected, long known)
    {
        Expected = expected;
        Known = Math.Max(known, expected - 1);
        Guard = Guard.None;
        Reading = false;
        _own.Clear();
    }

    /// <summary>The room claims to hold entries up to <paramref name="newest"/> (a publication: only a hint).</summary>
    public void Hint(long newest)
    {
        Known = Math.Max(Known, newest);
        _claimedDuringRead = Math.Max(_claimedDuringRead, newest);
    }

    /// <summary>The store appended this node's batch, <paramref name="payloads"/>, from entry <paramref name="start"/> on.</summary>
    /// <param name="start">The first entry's sequence number.</param>
    /// <param name="node">This node's number.</param>
    /// <param name="firstNodeSeq">This node's sequence number of the first event.</param>
    /// <param name="millis">The entries' time.</param>
    /// <param name="payloads">The events as appended.</param>
    public void Appended(long start, long node, long firstNodeSeq, long millis, IReadOnlyList<string> payloads)
    {
        var last = start + payloads.Count - 1;
        Known = Math.Max(Known, last);
        if (last > Guard.Seq)
        {
            Guard = new Guard(last, new EntryId(node, firstNodeSeq + payloads.Count - 1, millis));
        }

        if (last >= Expected)
        {
            _own.Enqueue(new OwnBatch(start, node, firstNodeSeq, millis, payloads));
        }
    }

    /// <summary>
    /// This node's entries that are next to fold, from the store's answers to its appends, in order; empty when the
    /// next entry is another node's (or not known yet).
    /// </summary>
    public IEnumerable<StoredEntry> OwnNext()
    {
        while (_own.TryPeek(out var batch))
        {
            if (batch.Start + batch.Payloads.Count <= Expected)
            {
                _own.Dequeue();
                continue;
            }

            if (batch.Start > Expected)
            {
                yield break;
            }

            var offset = (int)(Expected - batch.Start);
            yield return new StoredEntry(Expected, new EntryId(batch.Node, batch.FirstNodeSeq + offset, batch.Millis), batch.Payloads[offset]);
        }
    }

    /// <summary>A read starts at <see cref="Expected"/>.</summary>
    /// <returns>The first entry to read.</returns>
    public long BeginRead()
    {
        Reading = true;
        _claimedDuringRead = 0;
        return Expected;
    }

    /// <summary>
    /// The read under way will not be answered (this node dropped what it had under way, to join again, and ignores
    /// the answers to it): none is under way now, so that the next one can start, at <see cref="Expected"/>.
    /// </summary>
    public void ReadDropped() => Reading = false;

    /// <summary>
    /// A read of up to <paramref name="count"/> entries from <paramref name="from"/>, guarded by
    /// <paramref name="guard"/>, answered: returns the entries to fold now (in order, the first being
    /// <see cref="Expected"/>), or why none can be. The entries are then folded with <see cref="Applied"/>, one at a
    /// time. Answers may come in another order than the questions: this node may know more now than when it asked.
    /// </summary>
    public ReadOutcome EndRead(long from, int count, Guard guard, ReadReply reply)
    {
        Reading = false;
        if (reply.Status != StoreStatus.Done)
        {
            return new ReadOutcome(reply.Status, []);
        }

        // The store checks the guard; a log whose newest is older than what this node knew went back all the same.
        if (reply.Newest < guard.Seq)
        {
            return new ReadOutcome(StoreStatus.Lost, []);
        }

        // What a publication claimed before the read beyond the room's newest does not exist (a forged or stale hint);
        // what was claimed since may be newer than the read.
        Known = Math.Max(Math.Max(reply.Newest, Guard.Seq), _claimedDuringRead);
        var entries = new List<StoredEntry>();
        var next = Expected;
        foreach (var entry in reply.Entries)
        {
            if (entry.Seq == next)
            {
                entries.Add(entry);
                next++;
            }
            else if (entry.Seq > next)
            {
                break;
            }
        }

        // The next entry was in the range read, the room has it, and the read did not bring it: the log was trimmed
        // behind this node. (From before Expected, what the read brought is what this node folded meanwhile.)
        var missing = entries.Count == 0 && Expected >= from && Expected <= Math.Min(reply.Newest, from + count - 1);
        return missing ? new ReadOutcome(StoreStatus.Trimmed, []) : new ReadOutcome(StoreStatus.Done, entries);
    }

    /// <summary>
    /// <paramref name="entry"/>, the next one, is folded: the next is the one after it, and it is the newest content
    /// known if nothing newer is.
    /// </summary>
    /// <exception cref="InvalidOperationException">The entry is not the next one.</exception>
    public void Applied(StoredEntry entry)
    {
        if (entry.Seq != Expected)
        {
            throw new InvalidOperationException($"entry {entry.Seq} folded where {Expected} was next");
        }

        Expected = entry.Seq + 1;
        Known = Math.Max(Known, entry.Seq);
        if (entry.Seq >= Guard.Seq)
        {
            Guard = new Guard(entry.Seq, entry.Id);
        }
    }

    private sealed record OwnBatch(long Start, long Node, long FirstNodeSeq, long Millis, IReadOnlyList<string> Payloads);
}

/// <summary>What a read gave: entries to fold, or why none (<see cref="StoreStatus.Done"/> with none: nothing new).</summary>
internal sealed record ReadOutcome(StoreStatus Status, IReadOnlyList<StoredEntry> Entries);
