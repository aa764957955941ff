using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using RxChat.Core;
using RxChat.Transport;

namespace RxChat.Irc;

/// <summary>
/// A connection through the IRC door (PROTOCOL.md, Doors, IRC door): a codec over a line connection, not a second
/// server. What the client sends is read by an <see cref="IrcSession"/> into the core's lines and door commands; what
/// the core sends is rendered by an <see cref="IrcRenderer"/>. The core's limits apply as to any client; the idle
/// timeout is IRC's: a client silent for half of it is sent <c>PING</c> (through the core, in order with its other
/// lines), and one silent for all of it, its <c>PONG</c> included, leaves as idle.
/// </summary>
internal sealed class IrcConnection : IChatConnection, IObserver<OutgoingLine>
{
    private readonly IChatConnection _inner;
    private readonly IrcSession _session;
    private readonly IrcRenderer _renderer;

    /// <summary>Wraps <paramref name="inner"/>, whose lines are at most 510 bytes without <c>\r\n</c>.</summary>
    /// <param name="inner">The line connection (a socket's).</param>
    /// <param name="door">The door's settings.</param>
    /// <param name="scheduler">The source of time for the keep-alive <c>PING</c> and the idle timeout.</param>
    public IrcConnection(IChatConnection inner, IrcDoorSettings door, IScheduler scheduler)
    {
        _inner = inner;
        _session = new IrcSession(door, Client.HostOf(inner.RemoteAddress));
        _renderer = new IrcRenderer(door, Client.HostOf(inner.RemoteAddress));
        if (inner is SocketConnection socket)
        {
            socket.DroppedNotice = _renderer.Dropped;
        }

        Lines = Observable.Defer(() => inner.Lines.Publish(input =>
        {
            var read = input.SelectMany(_session.Read);
            if (door.IdleTimeout <= TimeSpan.Zero)
            {
                return read;
            }

            // Each line the client sends starts the clock again: silent for half the timeout, it is pinged; for all of
            // it, it is idle. The clock stops when its lines end.
            var half = TimeSpan.FromTicks(door.IdleTimeout.Ticks / 2);
            var ping = IrcSession.Reply($"PING :{door.ServerName}");
            var silence = input.Select(_ => Unit.Default).StartWith(Unit.Default)
                .Select(_ => Observable.Timer(half, scheduler).Select(_ => ping)
                    .Concat(Observable.Timer(door.IdleTimeout - half, scheduler)
                        .SelectMany(_ => Observable.Throw<ReceivedLine>(new ConnectionClosedException(DisconnectReason.Idle)))))
                .Switch()
                .TakeUntil(input.Materialize().Where(n => n.Kind != NotificationKind.OnNext));
            return read.Merge(silence);
        }));
    }

    public ConnectionId Id => _inner.Id;

    public string RemoteAddress => _inner.RemoteAddress;

    public Door Door => Door.Irc;

    public IObservable<ReceivedLine> Lines { get; }

    public IObserver<OutgoingLine> Writer => this;

    void IObserver<OutgoingLine>.OnNext(OutgoingLine value)
    {
        foreach (var line in _renderer.Render(value))
        {
            _inner.Writer.OnNext(line);
        }
    }

    // The connection ends: a client that was not told why (it quit, say) gets ERROR before the close (RFC 2812 §3.1.7).
    void IObserver<OutgoingLine>.OnCompleted()
    {
        if (!_renderer.Closed)
        {
            _inner.Writer.OnNext(IrcRenderer.Encode(_renderer.Farewell(_session.QuitWords), closing: true));
        }

        _inner.Writer.OnCompleted();
    }

    void IObserver<OutgoingLine>.OnError(Exception error) => _inner.Writer.OnError(error);
}
