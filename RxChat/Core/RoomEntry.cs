namespace RxChat.Core;

/// <summary>
/// One event in the room's one order, as the log delivers it to the fold: every node folds the same room entries in
/// the same order (PROTOCOL.md, Rooms across nodes). Entries marked <see cref="Local"/> are this node's own events
/// (a refusal, a stop) placed in its order but seen by no other node.
/// </summary>
/// <param name="Seq">The room entry's sequence number (dense, from 1); for a local entry, the last room entry's.</param>
/// <param name="Time">When the room took the entry, on the room's clock (the server's UTC clock).</param>
/// <param name="Event">The event.</param>
/// <param name="Local">A local entry of this node's, not the room's.</param>
/// <param name="Node">
/// The node that appended it, within its room; 0 for the room itself (what the log writes on its own, and every entry
/// of a room on one node).
/// </param>
internal sealed record RoomEntry(long Seq, DateTimeOffset Time, ChatEvent Event, bool Local = false, long Node = 0);

/// <summary>An event leaving the node's own rules for the log: to the room, or kept on this node.</summary>
/// <param name="Event">The event.</param>
/// <param name="Local">Kept on this node: placed in its order, never sent to the room.</param>
internal readonly record struct Admitted(ChatEvent Event, bool Local);
