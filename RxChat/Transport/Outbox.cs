using RxChat.Core;

namespace RxChat.Transport;

/// <summary>
/// The lines waiting for one connection's socket, oldest first: a queue of references to the lines (a broadcast
/// line's bytes are shared by every recipient), with one writer (the connection's writer, never concurrent with
/// itself) and one reader (its send loop), lock-free. Lines sit in fixed chunks of <see cref="ChunkSize"/> linked
/// as they fill; a drained chunk is kept as the writer's next one or dropped, so a queue that grew during a burst
/// shrinks back to one chunk as it drains. The bound is <see cref="OutboxBound"/>'s.
/// </summary>
internal sealed class Outbox
{
    /// <summary>Lines per chunk.</summary>
    public const int ChunkSize = 16;

    // The reader's position: the chunk it reads and the next index in it.
    private Chunk _head;
    private int _next;

    // The writer's chunk.
    private Chunk _tail;

    // A drained chunk, handed from the reader to the writer for reuse.
    private Chunk? _spare;

    public Outbox() => _head = _tail = new Chunk();

    /// <summary>
    /// Offers a line to a connection's outbox under its bound (the writer's): admitted, it goes in at the end, after
    /// the <c>(N messages dropped)</c> notice that is due, if any; dropped or overflowed, nothing goes in and the
    /// caller counts the drop or closes the connection as a slow consumer.
    /// </summary>
    public Admission Offer(OutgoingLine line, OutboxBound bound)
    {
        var admission = bound.Admit(line, out var notice);
        if (admission == Admission.Admitted)
        {
            if (notice is not null)
            {
                Enqueue(notice);
            }

            Enqueue(line);
        }

        return admission;
    }

    /// <summary>Adds a line at the end (the writer's).</summary>
    public void Enqueue(OutgoingLine line)
    {
        var tail = _tail;
        var count = tail.Count;
        if (count < ChunkSize)
        {
            tail.Lines[count] = line;
            Volatile.Write(ref tail.Count, count + 1);
            return;
        }

        var next = Interlocked.Exchange(ref _spare, null) ?? new Chunk();
        next.Lines[0] = line;
        next.Count = 1;
        Volatile.Write(ref tail.Next, next);
        _tail = next;
    }

    /// <summary>The oldest line, if there is one (the reader's); <see cref="Dequeue"/> takes it.</summary>
    public bool TryPeek(out OutgoingLine line)
    {
        while (true)
        {
            var head = _head;
            if (_next < Volatile.Read(ref head.Count))
            {
                line = head.Lines[_next]!;
                return true;
            }

            if (_next == ChunkSize && Volatile.Read(ref head.Next) is { } next)
            {
                // The writer has moved on: this chunk is drained for good.
                _head = next;
                _next = 0;
                head.Next = null;
                head.Count = 0;
                Volatile.Write(ref _spare, head);
                continue;
            }

            line = null!;
            return false;
        }
    }

    /// <summary>Removes the line <see cref="TryPeek"/> returned (the reader's).</summary>
    public void Dequeue() => _head.Lines[_next++] = null;

    private sealed class Chunk
    {
        public readonly OutgoingLine?[] Lines = new OutgoingLine?[ChunkSize];
        public int Count;
        public Chunk? Next;
    }
}
