namespace RxChat.Core;

/// <summary>
/// The settings that decide what the room shows, the fold's only settings (PROTOCOL.md, Rooms across nodes: they are
/// the room's). On one node they are the node's own options; across nodes the first node to create the room sets
/// them, and every node that joins folds with the room's, whatever it was started with.
/// </summary>
/// <param name="NodeTimeout">
/// How long a node may be silent, in the room's time, before the room counts it gone (<c>--node-timeout</c>); zero or
/// less: never.
/// </param>
/// <param name="HistorySize">Chat lines the room keeps for <c>/history</c> (<c>--history-size</c>); 0 keeps none.</param>
internal sealed record RoomSettings(TimeSpan NodeTimeout, int HistorySize)
{
    /// <summary>The most lines one <c>/history N</c> shows: N is 1 to 100 (PROTOCOL.md, Commands).</summary>
    public const int HistoryShown = 100;

    /// <summary>The room's settings as a node's options give them.</summary>
    public static RoomSettings From(ChatServerOptions options) => new(options.NodeTimeout, options.HistorySize);

    /// <summary>
    /// How often a quiet node says it is alive: a fifth of <see cref="NodeTimeout"/>, between 50 milliseconds and 1
    /// second. A gap in the room's log longer than this counts as this long toward any node's silence (the whole log
    /// was away, not one node).
    /// </summary>
    public TimeSpan NodeHeartbeat =>
        TimeSpan.FromTicks(Math.Clamp(NodeTimeout.Ticks / 5, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));

    /// <summary>
    /// The lines the room holds: <see cref="HistorySize"/>, up to <see cref="HistoryShown"/>. A <c>/history</c> answer
    /// is the same as if it held all <see cref="HistorySize"/> lines (K is at most N and N at most 100), while a
    /// flood's held lines stay 100 and not the default 1,000 (docs/microbenchmarks.md, Design decisions, measured).
    /// </summary>
    public int HistoryKept => Math.Clamp(HistorySize, 0, HistoryShown);
}
