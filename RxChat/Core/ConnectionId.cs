namespace RxChat.Core;

/// <summary>
/// Identifies one connection for its whole life, named or not. Transports number connections from 1
/// in order of acceptance; ids are never reused while a server runs.
/// </summary>
/// <param name="Value">The number; positive for real connections.</param>
public readonly record struct ConnectionId(long Value)
{
    /// <summary>Returns <c>#</c> followed by the number, as logs show it.</summary>
    public override string ToString() => $"#{Value}";
}
