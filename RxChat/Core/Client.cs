namespace RxChat.Core;

/// <summary>One connection in the client set, on this node or another of the room; a client once it has a name.</summary>
/// <param name="Id">The connection, with its node.</param>
/// <param name="RemoteAddress">Its address as Go writes it; the name given for an empty answer.</param>
/// <param name="Inbox">Where its lines go, for a connection on this node; null for one on another node.</param>
/// <param name="Name">Its name once it has entered (or, at the IRC door, registered); null before.</param>
/// <param name="Arrival">Its place in the arrival order (the <c>Current clients</c> list) once in the room.</param>
internal sealed record Client(ConnectionId Id, string RemoteAddress, ClientInbox? Inbox, string? Name = null, long Arrival = 0)
{
    public bool IsNamed => Name is not null;

    /// <summary>The connection is on this node: its lines are written here, and its events are this node's to report.</summary>
    public bool IsLocal => Inbox is not null;

    /// <summary>The door it came through.</summary>
    public Door Door { get; init; } = Door.Line;

    /// <summary>
    /// It is in the room: listed, hearing the room's lines, announced when it came and when it goes. A client of the
    /// line or web door is in the room once named; one of the IRC door once it joins the channel.
    /// </summary>
    public bool InRoom { get; init; }

    /// <summary>The user name it gave (IRC's <c>USER</c>); for the other doors the door's own: <c>nc</c>, <c>web</c>.</summary>
    public string User { get; init; } = "nc";

    /// <summary>Its away message (IRC's <c>AWAY :text</c>), shown to those who ask about it or write to it; null while here.</summary>
    public string? Away { get; init; }

    /// <summary>The user name a door's clients have until they give one: <c>nc</c>, <c>irc</c>, <c>web</c>.</summary>
    public static string DoorUser(Door door) => door switch
    {
        Door.Irc => "irc",
        Door.Web => "web",
        _ => "nc",
    };

    /// <summary>Its address without the port (<c>127.0.0.1</c>, <c>::1</c>).</summary>
    public string Host => HostOf(RemoteAddress);

    /// <summary>An address as Go writes it without its port: <c>127.0.0.1:5000</c> is <c>127.0.0.1</c>, <c>[::1]:5000</c> is <c>::1</c>.</summary>
    public static string HostOf(string remoteAddress) =>
        remoteAddress.LastIndexOf(':') is var colon and > 0 && !remoteAddress.EndsWith(']')
            ? remoteAddress[..colon].Trim('[', ']')
            : remoteAddress;
}
