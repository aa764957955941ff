namespace RxChat.Core;

/// <summary>
/// The room's log: it sits between the merge of this node's events and the fold, and puts every node's events in
/// one order (PROTOCOL.md, Rooms across nodes). In one process the order is the merge's own (<see cref="InProcessRoomLog"/>);
/// across nodes the log lives in Redis, and every node folds the same entries.
/// </summary>
internal interface IRoomLog
{
    /// <summary>
    /// Orders this node's events with the room's: subscribing starts the log. Emits the room's entries in their one
    /// order (this node's own events among them, as the same objects) and this node's local events at their place in
    /// its order, one at a time; completes when <paramref name="events"/> does.
    /// </summary>
    IObservable<RoomEntry> Order(IObservable<Admitted> events);

    /// <summary>Completes once the room can take newcomers the first time (this node has joined it and caught up).</summary>
    Task Ready { get; }

    /// <summary>
    /// Whether the room takes newcomers now: after <see cref="Ready"/>, false again while this node has lost contact
    /// with the room or rejoins it. Read from any thread (a health check's); it may lag the log by a moment.
    /// </summary>
    bool IsServing { get; }

    /// <summary>What the fold decided for <paramref name="entry"/>, for the log's own bookkeeping (a node counted gone, a state to keep).</summary>
    void Folded(RoomEntry entry, ChatStep step);
}
