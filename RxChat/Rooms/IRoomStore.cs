using System.Reactive;
using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>
/// All of a room's I/O with the store that keeps its log (Redis, <see cref="RedisRoomStore"/>; a scripted fake in
/// tests). Each operation is atomic in the store and answers what it found; <see cref="SharedRoomLog"/>, the log's one
/// owner, decides what to do. Operations are cold observables: subscribing runs the operation once; each emits one
/// reply and completes, or fails with a <see cref="RoomStoreException"/> when the store could not be reached or did not
/// answer in time (the operation may or may not have taken effect). Replies come on any thread.
/// </summary>
/// <remarks>
/// The store's rules, which every implementation keeps (RoomStoreContractTests runs the same suite on both):
/// <list type="bullet">
/// <item>A room has an epoch, a random id that a new room gets; a room whose epoch changed, or that is gone, is not the
/// room a node belonged to, and every operation of that node answers <see cref="StoreStatus.Gone"/>.</item>
/// <item>Entries are numbered densely from 1 within an epoch; each has the node that appended it (0 for the room's own),
/// that node's sequence number for it, the room's time (never going back) and the event's payload. A node's sequence
/// numbers start at a random number of its own and rise by one per event, so that one node's entries are never
/// another's, even under a node number handed out twice.</item>
/// <item>A node may append only while it is a member (it joined, and was neither retired nor stopped); a batch is
/// appended whole or not at all, and a batch whose first number the node has had appended already is a duplicate.</item>
/// <item>Appends and reads are guarded by the newest entry the node knows (<see cref="Guard"/>): if the log no longer
/// holds it as the node knows it (Redis restarted from older data, a failover to a replica that lagged), the log lost
/// entries: the operation replaces the room with a new, empty one under a new epoch and answers
/// <see cref="StoreStatus.Lost"/>. No sequence number of the lost room is ever read as the new room's.</item>
/// <item>Reads return only entries the room wrote (up to its newest); anything else in the store is not the room's.</item>
/// </list>
/// </remarks>
internal interface IRoomStore : IAsyncDisposable
{
    /// <summary>
    /// Whether the store can be reached, and changes of its primary (a failover followed). Hot; replays the latest
    /// state to a new subscriber.
    /// </summary>
    IObservable<StoreState> States { get; }

    /// <summary>
    /// Hints that the room has new entries: each publication names a range the room appended and the epoch it
    /// claims. Hot. Only hints: a publication can be lost, repeated, late or forged, and nothing is decided on its
    /// word alone (the entries are read from the log).
    /// </summary>
    IObservable<Publication> Publications { get; }

    /// <summary>
    /// Connects and subscribes to the room's publications; completes once both work. Retries until disposed: it
    /// never fails for want of the store.
    /// </summary>
    IObservable<Unit> Connect();

    /// <summary>
    /// Joins the room as a new member: creates the room (with <see cref="JoinRequest.Settings"/> and
    /// <see cref="JoinRequest.NewEpoch"/>) if there is none, hands out a node number never handed out before in this
    /// store, and returns the room's settings, its newest entry and its latest snapshot.
    /// </summary>
    IObservable<JoinReply> Join(JoinRequest request);

    /// <summary>Appends one batch of a node's events, guarded (see the remarks); publishes the range appended.</summary>
    IObservable<AppendReply> Append(AppendRequest request);

    /// <summary>Reads up to <see cref="ReadRequest.Count"/> entries from <see cref="ReadRequest.From"/>, guarded.</summary>
    IObservable<ReadReply> Read(ReadRequest request);

    /// <summary>
    /// Keeps <see cref="SnapshotRequest.State"/> as the room's state after entry <see cref="SnapshotRequest.Seq"/>, if it
    /// is newer than the snapshot kept, and trims the log behind it: entries older than both the snapshot before and
    /// <see cref="SnapshotRequest.Retention"/> go. Answers whether it was kept.
    /// </summary>
    IObservable<bool> Snapshot(SnapshotRequest request);

    /// <summary>
    /// Retires node <see cref="RetireRequest.Node"/> if it is a member: it may append nothing more, and the room
    /// appends its own entry saying so (<see cref="NodeRetired"/>). Answers whether it was a member.
    /// </summary>
    IObservable<bool> Retire(RetireRequest request);
}

/// <summary>Whether a store operation took effect, and if not, why.</summary>
internal enum StoreStatus
{
    /// <summary>Done.</summary>
    Done,

    /// <summary>The batch was appended before (a retry of one whose answer was lost): nothing was appended now.</summary>
    Duplicate,

    /// <summary>The room the node belongs to is gone (the store lost it, or it was replaced by a new room).</summary>
    Gone,

    /// <summary>The log lost entries the node had: the room was replaced by a new one (see <see cref="IRoomStore"/>).</summary>
    Lost,

    /// <summary>The node is not a member: it was retired, or it stopped. Nothing was appended.</summary>
    Retired,

    /// <summary>The entries asked for are no longer kept (the log was trimmed behind the node).</summary>
    Trimmed,
}

/// <summary>What a node knows last of the log, for the store to check that the log still holds it.</summary>
/// <param name="Seq">The sequence number of the newest entry the node applied or had appended; 0: none.</param>
/// <param name="Entry">That entry's identity.</param>
internal readonly record struct Guard(long Seq, EntryId Entry)
{
    /// <summary>Nothing known: every log holds it.</summary>
    public static Guard None => default;
}

/// <summary>What tells one entry from another at the same place: its node, that node's number for it, its time.</summary>
/// <param name="Node">The node that appended it (0: the room's own).</param>
/// <param name="NodeSeq">The node's sequence number for it (0 for the room's own).</param>
/// <param name="Millis">The room's time when it was appended, in Unix milliseconds.</param>
internal readonly record struct EntryId(long Node, long NodeSeq, long Millis);

/// <summary>An entry as the log keeps it.</summary>
/// <param name="Seq">Its sequence number in the room.</param>
/// <param name="Id">Its identity.</param>
/// <param name="Payload">The event, as <see cref="RoomCodec"/> writes it.</param>
/// <param name="Malformed">Why the entry cannot be read as the room's, if it cannot; it is then skipped.</param>
internal sealed record StoredEntry(long Seq, EntryId Id, string Payload, string? Malformed = null)
{
    /// <summary>The room's time of the entry.</summary>
    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds(Id.Millis);
}

/// <summary>A node's state of the store: whether it is reached, and which primary serves it.</summary>
/// <param name="Connected">The store is reached.</param>
/// <param name="Primary">The primary's address, once known (it changes with a failover).</param>
internal sealed record StoreState(bool Connected, string? Primary = null);

/// <summary>A hint that the room appended entries <see cref="Start"/> to <see cref="Start"/> + <see cref="Count"/> - 1.</summary>
internal sealed record Publication(long Start, long Count, string Epoch)
{
    /// <summary>The newest entry the publication claims.</summary>
    public long Last => Start + Count - 1;
}

/// <summary>Join the room (see <see cref="IRoomStore.Join"/>).</summary>
/// <param name="NewEpoch">The epoch of the room should this join create it.</param>
/// <param name="Settings">The room's settings should this join create it.</param>
/// <param name="FirstNodeSeq">The node's first sequence number (random, at least 1).</param>
internal sealed record JoinRequest(string NewEpoch, RoomSettings Settings, long FirstNodeSeq);

/// <summary>A node's place in the room.</summary>
/// <param name="Epoch">The room's epoch.</param>
/// <param name="Node">The node's number, never handed out before in this store.</param>
/// <param name="Settings">The room's settings (its creator's).</param>
/// <param name="Newest">The room's newest entry (0: none yet).</param>
/// <param name="SnapshotSeq">The entry the snapshot is the state after (0: no snapshot).</param>
/// <param name="Snapshot">The room's state after <paramref name="SnapshotSeq"/>, as <see cref="RoomCodec.WriteSnapshot"/> writes it; null: none.</param>
/// <param name="Created">This join created the room.</param>
internal sealed record JoinReply(string Epoch, long Node, RoomSettings Settings, long Newest, long SnapshotSeq, string? Snapshot, bool Created);

/// <summary>Append one batch of a node's events (see <see cref="IRoomStore.Append"/>).</summary>
/// <param name="Epoch">The epoch of the room the node belongs to.</param>
/// <param name="Node">The node.</param>
/// <param name="FirstNodeSeq">The node's sequence number of the first event; the others follow by one.</param>
/// <param name="Guard">The newest entry the node knows.</param>
/// <param name="NewEpoch">The epoch of the room that replaces this one should the log have lost entries.</param>
/// <param name="Payloads">The events, as <see cref="RoomCodec.Write"/> writes them; at least one.</param>
/// <param name="Last">The node's last batch (it stops): after it the node is no longer a member.</param>
internal sealed record AppendRequest(string Epoch, long Node, long FirstNodeSeq, Guard Guard, string NewEpoch, IReadOnlyList<string> Payloads, bool Last = false)
{
    /// <summary>
    /// The node's first sequence number under its number (<see cref="JoinRequest.FirstNodeSeq"/>): another node given
    /// the same number (the store's counter went back with its log) has another, and then the log lost entries.
    /// </summary>
    public long Incarnation { get; init; }
}

/// <summary>What became of an append.</summary>
/// <param name="Status">Done, or why not.</param>
/// <param name="Start">The sequence number of the first entry appended (for <see cref="StoreStatus.Done"/>).</param>
/// <param name="Millis">The room's time of the entries appended, in Unix milliseconds.</param>
/// <param name="Discarded">Entries found in the log that the room never wrote, removed before appending.</param>
internal sealed record AppendReply(StoreStatus Status, long Start = 0, long Millis = 0, int Discarded = 0)
{
    /// <summary>For <see cref="StoreStatus.Lost"/>: what the store found.</summary>
    public string? Why { get; init; }
}

/// <summary>Read entries (see <see cref="IRoomStore.Read"/>).</summary>
/// <param name="Epoch">The epoch of the room the node belongs to.</param>
/// <param name="From">The first entry wanted.</param>
/// <param name="Count">The most entries wanted.</param>
/// <param name="Guard">The newest entry the node knows.</param>
/// <param name="NewEpoch">The epoch of the room that replaces this one should the log have lost entries.</param>
internal sealed record ReadRequest(string Epoch, long From, int Count, Guard Guard, string NewEpoch);

/// <summary>Entries read.</summary>
/// <param name="Status">Done, or why not.</param>
/// <param name="Newest">The room's newest entry (for <see cref="StoreStatus.Done"/> and <see cref="StoreStatus.Trimmed"/>).</param>
/// <param name="Entries">The entries from the one asked for, in order, none past <paramref name="Newest"/>.</param>
internal sealed record ReadReply(StoreStatus Status, long Newest, IReadOnlyList<StoredEntry> Entries)
{
    /// <summary>For <see cref="StoreStatus.Lost"/>: what the store found.</summary>
    public string? Why { get; init; }
}

/// <summary>Keep a snapshot (see <see cref="IRoomStore.Snapshot"/>).</summary>
internal sealed record SnapshotRequest(string Epoch, long Seq, string State, TimeSpan Retention);

/// <summary>Retire a node (see <see cref="IRoomStore.Retire"/>).</summary>
internal sealed record RetireRequest(string Epoch, long Node);

/// <summary>The store could not be reached, or did not answer in time; what was asked may or may not have happened.</summary>
internal sealed class RoomStoreException(string message, Exception? inner = null) : Exception(message, inner);
