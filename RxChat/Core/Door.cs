namespace RxChat.Core;

/// <summary>
/// The door a connection came through (PROTOCOL.md, Doors): whatever the door, it is a client of the one room; each
/// door renders what the room says in its own form.
/// </summary>
public enum Door
{
    /// <summary>The line door: plain lines over TCP (<c>nc</c>, <c>telnet</c>), and in-process clients.</summary>
    Line,

    /// <summary>The IRC door: an IRC client (irssi, WeeChat, HexChat, a bot).</summary>
    Irc,

    /// <summary>The web door: the page's WebSocket.</summary>
    Web,
}
