namespace RxChat.Irc;

/// <summary>What every connection of one server's IRC door shares (PROTOCOL.md, Doors, IRC door).</summary>
/// <param name="ServerName">The server name clients see (<c>--irc-server-name</c>): the prefix of the server's messages.</param>
/// <param name="Channel">The one channel that is the room (<c>--irc-channel</c>), compared case-insensitively.</param>
/// <param name="Created">When the door opened (<c>003</c>, <c>329</c>).</param>
/// <param name="IdleTimeout">
/// The server's idle timeout: a client silent for half of it is sent <c>PING</c>, and one silent for all of it is
/// disconnected as idle; zero: never.
/// </param>
internal sealed record IrcDoorSettings(string ServerName, string Channel, DateTimeOffset Created, TimeSpan IdleTimeout)
{
    /// <summary>The version in <c>002</c> and <c>004</c>.</summary>
    public const string Version = "rxchat-1.2";

    /// <summary>Whether <paramref name="name"/> is the room's channel.</summary>
    public bool IsChannel(string name) => string.Equals(name, Channel, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="name"/> names a channel at all (<c>CHANTYPES=#</c>, and <c>&amp;</c> as RFC 1459 has it).</summary>
    public static bool IsChannelName(string name) => name.StartsWith('#') || name.StartsWith('&');
}
