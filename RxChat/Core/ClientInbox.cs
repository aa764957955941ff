using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace RxChat.Core;

/// <summary>
/// One connection's end of the outgoing path. Lines addressed to this connection alone go in through
/// <see cref="Send"/>; after <see cref="Join"/> it also follows the broadcast subject; <see cref="Close"/> ends it.
/// Both kinds meet in one <c>Merge</c> on the broadcaster's thread, so private lines and broadcasts reach the
/// writer in the one order the broadcaster decided (PROTOCOL.md, Transport), and the writer sees them through
/// <c>ObserveOn</c>, so the broadcaster never waits on a socket. Routing a private line is one call: no
/// other connection's subscription is looked at.
/// </summary>
internal sealed class ClientInbox
{
    private readonly Subject<OutgoingLine> _lines = new();
    private readonly Subject<Unit> _joined = new();
    private readonly Subject<Unit> _closed = new();

    private ClientInbox()
    {
    }

    /// <summary>Creates an inbox and subscribes <paramref name="writer"/> to it through <c>ObserveOn</c>.</summary>
    public static ClientInbox Wire(IObserver<OutgoingLine> writer, IObservable<OutgoingLine> broadcast, IScheduler writerScheduler)
    {
        var inbox = new ClientInbox();
        inbox._lines
            .Merge(inbox._joined.Take(1).SelectMany(_ => broadcast))
            .TakeUntil(inbox._closed)
            .ObserveOn(writerScheduler)
            .Subscribe(writer);
        return inbox;
    }

    public void Send(OutgoingLine line) => _lines.OnNext(line);

    // Subscribes to the broadcast synchronously, on the broadcaster's thread: the client receives exactly the
    // broadcasts that come after this point in the total order.
    public void Join() => _joined.OnNext(Unit.Default);

    // Completes the writer after the lines already sent, and leaves the broadcast at once.
    public void Close() => _closed.OnNext(Unit.Default);
}
