namespace RxChat.Transport;

/// <summary>
/// When a connection's send loop runs after lines were queued in its outbox. Inside a send batch, opened by a reader
/// around the lines of one read (or by the listener around one arrival), send loops wait until the batch ends, so
/// that every line the batch produced for a connection goes out in one write; then they run at once on the same
/// thread (the line goes to the socket with no thread hop) if the thread pool has nothing else waiting, else on the
/// pool, behind that work, so that lines from more events gather meanwhile. Outside a batch they run on the pool.
/// </summary>
/// <remarks>
/// Batching never waits for a timer: a batch ends with the read that opened it, and a send loop waits on the pool
/// only behind other work: one batch per read, writing through when idle (docs/design.md, The writer scheduler,
/// and one thread per client).
/// </remarks>
internal static class SendBatch
{
    [ThreadStatic]
    private static Batch? t_batch;

    /// <summary>
    /// Opens a send batch on this thread until the returned scope is disposed; batches nest, and the outermost
    /// one's end runs what waited.
    /// </summary>
    public static Scope Begin()
    {
        var batch = t_batch ??= new Batch();
        batch.Depth++;
        return new Scope(batch);
    }

    /// <summary>Runs <paramref name="send"/> at the end of this thread's batch, or on the pool when there is none.</summary>
    public static void Schedule(Action<object?> send, object? state)
    {
        if (t_batch is { Depth: > 0 } batch)
        {
            batch.Add(send, state);
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(send, state, preferLocal: false);
        }
    }

    /// <summary>The end of a send batch.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly Batch _batch;

        internal Scope(Batch batch) => _batch = batch;

        /// <summary>Ends the batch: what waited runs now, or on the pool.</summary>
        public void Dispose()
        {
            if (--_batch.Depth == 0)
            {
                _batch.Run();
            }
        }
    }

    /// <summary>One thread's waiting send loops.</summary>
    internal sealed class Batch
    {
        private (Action<object?> Send, object? State)[] _waiting = new (Action<object?>, object?)[8];
        private int _count;
        private bool _running;

        public int Depth { get; set; }

        public void Add(Action<object?> send, object? state)
        {
            if (_count == _waiting.Length)
            {
                Array.Resize(ref _waiting, _count * 2);
            }

            _waiting[_count++] = (send, state);
        }

        public void Run()
        {
            // A send loop run here may open and end a batch of its own on this thread: what that adds is run by
            // this loop, not by a nested one.
            if (_running)
            {
                return;
            }

            _running = true;
            var inline = ThreadPool.PendingWorkItemCount == 0;
            var i = 0;
            try
            {
                for (; i < _count; i++)
                {
                    var (send, state) = _waiting[i];
                    _waiting[i] = default;
                    if (inline)
                    {
                        send(state);
                    }
                    else
                    {
                        ThreadPool.UnsafeQueueUserWorkItem(send, state, preferLocal: false);
                    }
                }
            }
            finally
            {
                // Never lose a send loop: after a throw, the rest go to the pool.
                for (i++; i < _count; i++)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(_waiting[i].Send, _waiting[i].State, preferLocal: false);
                    _waiting[i] = default;
                }

                _count = 0;
                _running = false;
            }
        }
    }
}
