namespace RxChat.Core;

/// <summary>
/// One connection's outbox bound (PROTOCOL.md, Limits and bad input, slow clients): the lines handed to its writer
/// and not yet written count against <c>capacity</c>, wherever they wait. When the outbox is full, a further line
/// is dropped and counted (<see cref="SlowClientPolicy.Drop"/>) or the connection overflows
/// (<see cref="SlowClientPolicy.Disconnect"/>); the next line that fits is preceded by
/// <c>(N messages dropped)</c>. Notices and closing lines (<see cref="OutgoingLine.TakesSlot"/>) take no slot, and
/// closing lines are never dropped.
/// </summary>
/// <remarks>
/// <see cref="Admit"/> is the writer's (calls never overlap: <c>ObserveOn</c> serialises them); <see cref="Left"/>
/// is the sender's, from any thread.
/// </remarks>
/// <param name="capacity">Lines per client; 0: unbounded.</param>
/// <param name="policy">What a full outbox does to a further line.</param>
internal sealed class OutboxBound(int capacity, SlowClientPolicy policy)
{
    // Admitted lines that take a slot and have not left yet.
    private long _waiting;

    // Lines dropped since the last one that fitted (the writer's).
    private long _dropped;

    /// <summary>
    /// Makes the <c>(N messages dropped)</c> line from N, for a door that says it in its own form (IRC: a
    /// <c>NOTICE</c>); null for the line as PROTOCOL.md writes it. Set before the first line.
    /// </summary>
    public Func<long, OutgoingLine>? DroppedNotice { get; set; }

    /// <summary>Lines dropped since the last one that fitted (the writer's).</summary>
    public long Dropped => _dropped;

    /// <summary>Lines that take a slot and wait.</summary>
    public long Waiting => Volatile.Read(ref _waiting);

    /// <summary>
    /// Decides what becomes of <paramref name="line"/>. When it is <see cref="Admission.Admitted"/> and lines were
    /// dropped before it, <paramref name="notice"/> is the <c>(N messages dropped)</c> line to write first.
    /// </summary>
    public Admission Admit(OutgoingLine line, out OutgoingLine? notice)
    {
        notice = null;
        if (line.TakesSlot && capacity > 0 && Waiting >= capacity)
        {
            if (policy == SlowClientPolicy.Disconnect)
            {
                return Admission.Overflowed;
            }

            _dropped++;
            return Admission.Dropped;
        }

        if (_dropped > 0)
        {
            notice = DroppedNotice?.Invoke(_dropped) ?? new OutgoingLine($"({_dropped} messages dropped)", isClosing: false, isNotice: true);
            _dropped = 0;
        }

        if (line.TakesSlot)
        {
            Interlocked.Increment(ref _waiting);
        }

        return Admission.Admitted;
    }

    /// <summary>The sender wrote <paramref name="lines"/> more lines that take a slot.</summary>
    public void Left(long lines) => Interlocked.Add(ref _waiting, -lines);
}

/// <summary>What <see cref="OutboxBound.Admit"/> decided for a line.</summary>
internal enum Admission
{
    /// <summary>Write it (after the notice, if there is one).</summary>
    Admitted,

    /// <summary>The outbox is full: the line is dropped and counted.</summary>
    Dropped,

    /// <summary>The outbox is full under the disconnect policy: close the connection as a slow consumer.</summary>
    Overflowed,
}
