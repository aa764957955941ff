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
    private readonly Subject<Unit> _parted = new();

    private ClientInbox()
    {
    }

    /// <summary>Creates an inbox and subscribes <paramref name="writer"/> to it through <c>ObserveOn</c>.</summary>
    /// <param name="writer">The connection's writer.</param>
    /// <param name="broadcast">The broadcast subject.</param>
    /// <param name="writerScheduler">Where the writer receives its lines.</param>
    /// <param name="rejoins">
    /// The client may leave the broadcast and join it again while connected (IRC's <c>PART</c> and <c>JOIN</c>); a line
    /// client joins once, and its broadcast lines pass one operator fewer.
    /// </param>
    public static ClientInbox Wire(IObserver<OutgoingLine> writer, IObservable<OutgoingLine> broadcast, IScheduler writerScheduler, bool rejoins = false)
    {
        var inbox = new ClientInbox();
        var followed = rejoins
            ? inbox._joined.SelectMany(_ => broadcast.TakeUntil(inbox._parted))
            : inbox._joined.Take(1).SelectMany(_ => broadcast);
        inbox._lines
            .Merge(followed)
            .TakeUntil(inbox._closed)
            .ObserveOn(writerScheduler)
            .Subscribe(writer);
        return inbox;
    }

    public void Send(OutgoingLine line) => _lines.OnNext(line);

    // Subscribes to the broadcast synchronously, on the broadcaster's thread: the client receives exactly the
    // broadcasts that come after this point in the total order.
    public void Join() => _joined.OnNext(Unit.Default);

    // Leaves the broadcast at once (a client wired to rejoin); the connection stays.
    public void Part() => _parted.OnNext(Unit.Default);

    // Completes the writer after the lines already sent, and leaves the broadcast at once.
    public void Close() => _closed.OnNext(Unit.Default);
}
