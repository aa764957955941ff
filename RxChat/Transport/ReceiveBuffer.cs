using System.Buffers;

namespace RxChat.Transport;

/// <summary>
/// One connection's received bytes until the framer has taken their lines. A buffer is rented from the shared pool
/// when a read comes and given back when nothing is left, so an idle connection holds none; an unfinished line (at
/// most the line-length limit and a byte, when there is a limit) is kept at the start for the next read, and the
/// buffer doubles when that line leaves too little room.
/// </summary>
internal sealed class ReceiveBuffer
{
    /// <summary>Bytes a read takes at most into a fresh buffer.</summary>
    public const int Size = 4096;

    /// <summary>The least room a read is given after an unfinished line.</summary>
    public const int MinimumRoom = 2048;

    private byte[]? _buffer;
    private int _length;

    /// <summary>The bytes received and not yet taken: an unfinished line, then the last read.</summary>
    public ReadOnlySequence<byte> Data => _buffer is null ? ReadOnlySequence<byte>.Empty : new(_buffer, 0, _length);

    /// <summary>Room for the next read, after what is kept; rents or grows the buffer.</summary>
    public Span<byte> Reserve() => Room().AsSpan(_length);

    /// <summary>As <see cref="Reserve"/>, for an asynchronous read (a TLS stream's).</summary>
    public Memory<byte> ReserveMemory() => Room().AsMemory(_length);

    private byte[] Room()
    {
        if (_buffer is null || _buffer.Length - _length < MinimumRoom)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(Size, 2 * (_length + MinimumRoom)));
            if (_buffer is not null)
            {
                _buffer.AsSpan(0, _length).CopyTo(grown);
                ArrayPool<byte>.Shared.Return(_buffer);
            }

            _buffer = grown;
        }

        return _buffer;
    }

    /// <summary>A read put <paramref name="count"/> bytes into the room <see cref="Reserve"/> gave.</summary>
    public void Commit(int count) => _length += count;

    /// <summary>
    /// Keeps <paramref name="rest"/>, the end of <see cref="Data"/> the framer left, for the next read; gives the
    /// buffer back when it is empty.
    /// </summary>
    public void Keep(ReadOnlySequence<byte> rest)
    {
        _length = (int)rest.Length;
        if (_length == 0)
        {
            Release();
            return;
        }

        rest.CopyTo(_buffer);
    }

    /// <summary>Gives the buffer back to the pool; the connection is done reading.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _length = 0;
    }
}
