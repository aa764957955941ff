namespace RxChat.Core;

/// <summary>
/// Identifies one connection for its whole life, named or not. Transports number connections from 1 in order of
/// acceptance; ids are never reused while a server runs. In a room served by several nodes (PROTOCOL.md, Rooms
/// across nodes) <see cref="Node"/> tells the nodes' connections apart; on a single node it is 0.
/// </summary>
/// <param name="Value">The number; positive for real connections.</param>
public readonly record struct ConnectionId(long Value)
{
    /// <summary>The number of the node the connection is on, within its room; 0 on a single node.</summary>
    public long Node { get; init; }

    /// <summary>Returns <c>#</c> followed by the number (<c>#3</c>), and the node in a room of several (<c>#2.3</c>).</summary>
    public override string ToString() => Node == 0 ? $"#{Value}" : $"#{Node}.{Value}";
}
