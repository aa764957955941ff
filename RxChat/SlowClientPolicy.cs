namespace RxChat;

/// <summary>
/// What the server does with a client whose outbox is full (PROTOCOL.md, Limits and bad input, slow clients).
/// </summary>
public enum SlowClientPolicy
{
    /// <summary>Drop further lines for it and count them; it later receives <c>(N messages dropped)</c>.</summary>
    Drop,

    /// <summary>Close it: lines already queued may still be written; the others receive <c>NAME has left</c>.</summary>
    Disconnect,
}
